from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

hostname_validator = RegexValidator(
    r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
    "Use letters, digits, dots and hyphens only (for example web01 or web01.prod.example.com).",
)


class Environment(models.Model):
    name = models.CharField(max_length=64, unique=True)
    slug = models.SlugField(max_length=64, unique=True)
    order = models.PositiveIntegerField(default=100, help_text="Lower comes first (dev before qa before prod).")
    is_production = models.BooleanField(default=False)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """An application or system, such as billing-web, that runs on hosts."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    owner_team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_services"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=64, unique=True)
    slug = models.SlugField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HostQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Host(models.Model):
    hostname = models.CharField(
        max_length=253,
        unique=True,
        validators=[hostname_validator],
        help_text="Short or fully qualified name, stored in lower case.",
    )
    fqdn = models.CharField(max_length=253, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="hosts")
    services = models.ManyToManyField(Service, blank=True, related_name="hosts")
    tags = models.ManyToManyField(Tag, blank=True, related_name="hosts")
    is_active = models.BooleanField(default=True)
    is_verified = models.BooleanField(
        default=True, help_text="Hosts first seen in a change event stay unverified until someone confirms them."
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = HostQuerySet.as_manager()

    class Meta:
        ordering = ["hostname"]
        indexes = [models.Index(fields=["environment", "hostname"], name="host_env_hostname")]

    def __str__(self) -> str:
        return self.hostname

    def save(self, *args, **kwargs):
        self.hostname = (self.hostname or "").strip().lower()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("inventory:host_detail", args=[self.hostname])

    def clean(self) -> None:
        self.hostname = (self.hostname or "").strip().lower()
        if self.hostname and Host.objects.exclude(pk=self.pk).filter(hostname=self.hostname).exists():
            raise ValidationError({"hostname": f"A host named {self.hostname} already exists."})
