"""A synthetic inventory CSV for timing ``manage.py import_inventory`` (docs/benchmarks.md, "Inventory import").

    python -m bench.inventory_csv 10000 > /tmp/hosts10k.csv            # all hosts
    python -m bench.inventory_csv 10000 --move-dev > /tmp/changed.csv  # the dev sixth moved to qa

Services billing-web, billing-api and search and tags pci and dc1 must exist."""

import argparse
import random
import sys

ENVIRONMENTS = ("dev", "qa", "prod")
SERVICES = ("billing-web", "billing-api", "search")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int)
    parser.add_argument("--move-dev", action="store_true", help="Every other dev host in qa instead.")
    args = parser.parse_args()
    chooser = random.Random(1)
    out = sys.stdout
    out.write("hostname,environment,services,tags,fqdn,ip,active\n")
    for i in range(args.count):
        environment = ENVIRONMENTS[i % 3]
        if args.move_dev and environment == "dev" and i % 2:
            environment = "qa"
        services = ";".join(chooser.sample(SERVICES, 2))
        ip = f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}"
        out.write(
            f"bench{i:05d},{environment},{services},{'pci' if i % 2 else 'dc1'},bench{i:05d}.example.com,{ip},true\n"
        )


if __name__ == "__main__":
    main()
