"""What a good entry of each kind contains, shown next to the form when the kind is chosen."""

from apps.changes.choices import ChangeKind

KIND_GUIDANCE: dict[str, str] = {
    ChangeKind.RELEASE: (
        "Name the exact build in Artifact (e.g. billing 2.4.0) and link the build and commit. List every step "
        "in the implementation plan, including SQL scripts, config files and any manual step, per host group. "
        "The backout plan says how to return to the previous version, data included."
    ),
    ChangeKind.PATCH: (
        "Give the package and version in Artifact (e.g. openssl 3.0.13-1). Say which environments already "
        "have it: a patch applied to production but not QA is drift. Note the restarts it needs."
    ),
    ChangeKind.OS_UPDATE: (
        "List the packages or the image version, whether a reboot is needed, and the order of hosts. "
        "Test plan: services to check after reboot."
    ),
    ChangeKind.FIREWALL: (
        "Give each rule: source, destination, port/protocol, allow or deny, and the ticket asking for it. "
        "Say which services' traffic it touches, and how to verify (e.g. a connection test from a named host)."
    ),
    ChangeKind.CONFIG: (
        "Name each file and the setting changed (e.g. nginx worker_connections 1024 → 4096), on which hosts, "
        "and whether a reload or restart applies it. Backout: the previous values."
    ),
    ChangeKind.DATABASE: (
        "Attach or link the scripts, their order, expected duration and locks, and whether they can run "
        "with the application up. Backout: the reverse scripts or the restore point."
    ),
    ChangeKind.INFRASTRUCTURE: (
        "Describe the components (load balancers, storage, network) and the blast radius: which services "
        "lose capacity while it runs."
    ),
    ChangeKind.MANUAL: (
        "Write the exact commands or edits, host by host, so someone else could repeat them; track each "
        "host's execution below once you start. Manual steps missed on some hosts cause outages."
    ),
    ChangeKind.OTHER: "Describe what changes, where, how you will know it worked, and how to undo it.",
}


def guidance_for(kind: str) -> str:
    return KIND_GUIDANCE.get(kind, KIND_GUIDANCE[ChangeKind.OTHER])
