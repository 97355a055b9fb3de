"""Demo inventory: about 40 hosts of the billing stack and a few neighbours, mostly in production."""

from dataclasses import dataclass

from apps.accounts.models import Team
from apps.dashboard.demo.people import DEV_TEAM, OPS_TEAM
from apps.inventory.models import Environment, Host, Service, Tag

ENVIRONMENT_SLUGS = ("dev", "qa", "prod")

BILLING_WEB = "billing-web"
BILLING_API = "billing-api"
BILLING_DB = "billing-db"
EDGE_LB = "edge-lb"
AUTH = "auth"
REPORTING = "reporting"
MAIL = "mail"
MONITORING = "monitoring"
CI = "ci"

# slug: (description, owner team slug)
SERVICES = {
    BILLING_WEB: ("Customer billing site (nginx + billing front end).", DEV_TEAM),
    BILLING_API: ("Billing application servers and batch jobs.", DEV_TEAM),
    BILLING_DB: ("PostgreSQL cluster behind billing.", OPS_TEAM),
    EDGE_LB: ("Edge load balancers and TLS termination.", OPS_TEAM),
    AUTH: ("Single sign-on for customers and staff.", DEV_TEAM),
    REPORTING: ("Finance reporting and exports.", DEV_TEAM),
    MAIL: ("Outbound mail relays (invoices, notifications).", OPS_TEAM),
    MONITORING: ("Metrics, logs and alerting.", OPS_TEAM),
    CI: ("Build agents.", DEV_TEAM),
}

TAGS = ("web", "app", "db", "lb", "dmz", "pci", "batch")

# (environment, name prefix, count, services, tags). Hostnames read "<env>-<role><nn>".
HOST_GROUPS = (
    ("prod", "lb", 2, (EDGE_LB,), ("lb", "dmz")),
    ("prod", "web", 8, (BILLING_WEB,), ("web", "dmz", "pci")),
    ("prod", "app", 4, (BILLING_API,), ("app", "pci")),
    ("prod", "db", 2, (BILLING_DB,), ("db", "pci")),
    ("prod", "auth", 2, (AUTH,), ("app",)),
    ("prod", "report", 2, (REPORTING,), ("app", "batch")),
    ("prod", "reportdb", 1, (REPORTING,), ("db",)),
    ("prod", "mail", 2, (MAIL,), ("dmz",)),
    ("prod", "mon", 1, (MONITORING,), ()),
    ("qa", "lb", 1, (EDGE_LB,), ("lb",)),
    ("qa", "web", 2, (BILLING_WEB,), ("web",)),
    ("qa", "app", 2, (BILLING_API,), ("app",)),
    ("qa", "db", 1, (BILLING_DB,), ("db",)),
    ("qa", "auth", 1, (AUTH,), ("app",)),
    ("qa", "report", 1, (REPORTING,), ("app", "batch")),
    ("qa", "mail", 1, (MAIL,), ()),
    ("dev", "web", 1, (BILLING_WEB,), ("web",)),
    ("dev", "app", 1, (BILLING_API,), ("app",)),
    ("dev", "db", 1, (BILLING_DB,), ("db",)),
    ("dev", "auth", 1, (AUTH,), ("app",)),
    ("dev", "report", 1, (REPORTING,), ("app",)),
    ("dev", "mail", 1, (MAIL,), ()),
    ("dev", "ci", 2, (CI,), ("batch",)),
)

_SUBNETS = {"dev": "10.10", "qa": "10.20", "prod": "10.30"}


@dataclass(frozen=True)
class Inventory:
    environments: dict[str, Environment]
    services: dict[str, Service]
    hosts: dict[str, Host]
    # (environment slug, service slug) -> hosts, in hostname order
    by_service: dict[tuple[str, str], list[Host]]

    def hosts_of(self, env: str, *services: str) -> list[Host]:
        found = {host.pk: host for service in services for host in self.by_service.get((env, service), [])}
        return sorted(found.values(), key=lambda host: host.hostname)

    def all_hosts_in(self, env: str) -> list[Host]:
        return sorted((h for h in self.hosts.values() if h.environment_id == self.environments[env].pk), key=str)

    def services_with_hosts(self, env: str) -> list[str]:
        return sorted(service for (env_slug, service), hosts in self.by_service.items() if env_slug == env and hosts)


def ensure_inventory(*, teams: dict[str, Team]) -> Inventory:
    """Create the demo services, tags and hosts if missing; reuse the environments of the data migration."""
    environments = {env.slug: env for env in Environment.objects.filter(slug__in=ENVIRONMENT_SLUGS)}
    missing = set(ENVIRONMENT_SLUGS) - set(environments)
    if missing:
        raise Environment.DoesNotExist(f"Run the migrations first: environments {sorted(missing)} are missing.")

    services = {}
    for slug, (description, owner) in SERVICES.items():
        services[slug], _ = Service.objects.get_or_create(
            slug=slug, defaults={"name": slug, "description": description, "owner_team": teams[owner]}
        )
    tags = {}
    for name in TAGS:
        tags[name], _ = Tag.objects.get_or_create(slug=name, defaults={"name": name})

    hosts: dict[str, Host] = {}
    by_service: dict[tuple[str, str], list[Host]] = {}
    host_number = 0
    for env, prefix, count, service_slugs, tag_names in HOST_GROUPS:
        for index in range(1, count + 1):
            host_number += 1
            hostname = f"{env}-{prefix}{index:02d}"
            host, created = Host.objects.get_or_create(
                hostname=hostname,
                defaults={
                    "fqdn": f"{hostname}.example.com",
                    "ip_address": f"{_SUBNETS[env]}.{host_number // 250}.{host_number % 250 + 1}",
                    "environment": environments[env],
                },
            )
            if created:
                host.services.set([services[slug] for slug in service_slugs])
                host.tags.set([tags[name] for name in tag_names])
            hosts[hostname] = host
            for slug in service_slugs:
                by_service.setdefault((env, slug), []).append(host)
    return Inventory(environments=environments, services=services, hosts=hosts, by_service=by_service)
