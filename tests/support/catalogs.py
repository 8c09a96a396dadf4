"""Catalogs as the tests write them."""

from __future__ import annotations

import copy
from typing import Any

RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"},
             "limits": {"cpu": "500m", "memory": "256Mi"}}


def shop() -> dict[str, Any]:
    """A small valid catalog: a routed web service calling an api that uses PostgreSQL."""
    return {
        "name": "shop",
        "hostname": "shop",
        "routes": [{"path": "/", "service": "web"}],
        "services": {
            "web": {"image": "shop/web", "tag": "1.0.0", "ports": [{"name": "http", "port": 8080}],
                    "replicas": 2, "resources": copy.deepcopy(RESOURCES)},
            "api": {"image": "shop/api", "tag": "1.0.0", "ports": [{"name": "http", "port": 9000}],
                    "replicas": 2, "resources": copy.deepcopy(RESOURCES), "callers": ["web"],
                    "uses": [{"store": "pg", "database": "orders"}]},
        },
        "stores": {"pg": {"kind": "postgresql", "databases": ["orders"]}},
    }
