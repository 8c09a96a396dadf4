"""Every rule across fields and sections: what no single value shows wrong.

``shipyard.config.load`` runs these once the stack file's values have each passed their own
section model, and before the program registers any resource. Each check returns Problems whose
paths are the full keys below ``shipyard:`` (``cluster.nodeGroups.general.minSize``); a section
reports its first problem, as its later rules build on its earlier ones. The store, hostname and
CIDR rules themselves live in ``shipyard.rules``, which the components call as well.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from shipyard.config.addons import AddonsSettings
from shipyard.config.base import NAMESPACE, Problem
from shipyard.config.cluster import ClusterMode, ClusterSettings, NodeGroupSettings
from shipyard.config.dns import DnsSettings
from shipyard.config.network import NetworkSettings
from shipyard.config.stack import Environment, Settings, StackConfig
from shipyard.config.stores import SIZE_PREFIX, StoresSettings
from shipyard.rules import aws_names, hostnames
from shipyard.rules import cidr as cidrlib
from shipyard.rules import stores as store_rules

# ---------------------------------------------------------------------------------------------
# Within a section


def network_problems(net: NetworkSettings) -> list[Problem]:
    """Zones against azCount; the computed layout fits the CIDR, or the explicit one is one
    subnet per zone and tier, inside the VPC, none overlapping."""
    if net.availability_zones is not None and len(net.availability_zones) != net.az_count:
        return [Problem("network.availabilityZones", net.availability_zones,
                        f"{len(net.availability_zones)} zones named but azCount is "
                        f"{net.az_count}")]
    if net.subnets is None:
        try:
            cidrlib.computed_layout(net.cidr, net.az_count)
        except ValueError as exc:
            return [Problem("network.cidr", net.cidr, f"{exc}; give network.subnets "
                                                      f"explicitly for a smaller VPC")]
        return []
    for tier in cidrlib.TIERS:
        cidrs = getattr(net.subnets, tier)
        if tier == "isolated" and not cidrs:
            continue
        if len(cidrs) != net.az_count:
            return [Problem(f"network.subnets.{tier}", cidrs,
                            f"{len(cidrs)} subnets for {net.az_count} zones (azCount)")]
    problems = cidrlib.layout_problems(net.cidr, cidrlib.labelled(net.layout(), "subnets"))
    if problems:
        label, message = problems[0]
        return [Problem(f"network.{label}", message.split(" ")[0], message)]
    return []


def node_group_problems(name: str, group: NodeGroupSettings) -> list[Problem]:
    key = f"cluster.nodeGroups.{name}"
    if group.min_size > group.max_size:
        return [Problem(f"{key}.minSize", group.min_size,
                        f"minSize {group.min_size} exceeds maxSize {group.max_size}")]
    if not group.min_size <= group.desired_size <= group.max_size:
        return [Problem(f"{key}.desiredSize", group.desired_size,
                        f"desiredSize must lie within minSize {group.min_size} and "
                        f"maxSize {group.max_size}")]
    return []


def cluster_problems(cluster: ClusterSettings) -> list[Problem]:
    out = [p for name, group in cluster.node_groups.items()
           for p in node_group_problems(name, group)]
    if cluster.auto_mode and cluster.mode is not ClusterMode.EKS:
        return [Problem("cluster.autoMode", True, "Auto Mode is a setting of an EKS cluster "
                                                  "shipyard creates: cluster.mode is existing")]
    if out or cluster.mode is not ClusterMode.EKS:
        return out
    if cluster.auto_mode and cluster.prefix_delegation:
        return [Problem("cluster.prefixDelegation", True,
                        "Auto Mode runs the VPC CNI itself (cluster.autoMode is true): there is "
                        "no vpc-cni add-on to configure")]
    if cluster.auto_mode and cluster.node_groups:
        return [Problem("cluster.nodeGroups", sorted(cluster.node_groups),
                        "Auto Mode runs no managed node groups (cluster.autoMode is true): its "
                        "built-in general-purpose and system pools size themselves to the "
                        "pods; drop cluster.nodeGroups or cluster.autoMode")]
    if not cluster.node_groups and not cluster.auto_mode:
        return [Problem("cluster.nodeGroups", {}, "an EKS cluster needs at least one node "
                                                  "group")]
    if cluster.endpoint_public_access and not cluster.public_access_cidrs:
        return [Problem("cluster.publicAccessCidrs", [], "the public endpoint is on: name the "
                                                         "CIDRs allowed to reach it")]
    missing = {"api", "audit", "authenticator"} - set(cluster.log_types)
    if missing:
        return [Problem("cluster.logTypes", cluster.log_types,
                        f"api, audit and authenticator logs are required (missing "
                        f"{', '.join(sorted(missing))})")]
    return []


def dns_problems(dns: DnsSettings) -> list[Problem]:
    if dns.enabled and not dns.domain:
        return [Problem("dns.domain", None, "required when dns.enabled is true")]
    if dns.enabled and dns.zone_id and dns.dnssec:
        return [Problem("dns.dnssec", True, "signs a zone shipyard creates, but dns.zoneId "
                                            "adopts one: sign it where it is managed")]
    # the field's default (true) gives way to an adopted zone silently; a true written in the
    # stack file (or an environment's defaults) asks for something shipyard will not do
    if dns.enabled and dns.zone_id and dns.query_logs and "query_logs" in dns.model_fields_set:
        return [Problem("dns.queryLogs", True, "logs the queries of a zone shipyard creates, "
                                               "but dns.zoneId adopts one: log them where it "
                                               "is managed")]
    if dns.zone_id and dns.parent_zone_id:
        return [Problem("dns.parentZoneId", dns.parent_zone_id,
                        "delegation is only for a zone shipyard creates; drop zoneId or "
                        "parentZoneId")]
    return []


def monitoring_problems(addons: AddonsSettings) -> list[Problem]:
    names = [r.name for r in addons.monitoring.receivers]
    if len(set(names)) != len(names):
        return [Problem("addons.monitoring.receivers", names, "a receiver is named twice")]
    return []


def stores_problems(stores: StoresSettings) -> list[Problem]:
    """Each kind's storage range; what a managed kind's size must name; the in-cluster MySQL
    is one server."""
    out = []
    for kind in SIZE_PREFIX:
        s = stores.kind(kind)
        if s.max_storage_gi < s.storage_gi:
            out.append(Problem(f"stores.{kind}.maxStorageGi", s.max_storage_gi,
                               f"below storageGi ({s.storage_gi})"))
    if out:
        return out[:1]
    for kind, prefix in SIZE_PREFIX.items():
        size = stores.size_of(kind)
        if stores.kind(kind).size is None and stores.backend_of(kind) != "managed":
            continue
        if not size.startswith(prefix):
            return [Problem(f"stores.{kind}.size", size,
                            f"a managed {kind} store needs an instance type {prefix}*")]
        message = store_rules.instance_class_problem(kind, size)
        if message:
            return [Problem(f"stores.{kind}.size", size, message)]
    if stores.performance_insights.enabled:
        for kind, classes in store_rules.NO_PERFORMANCE_INSIGHTS.items():
            if stores.backend_of(kind) == "managed" and stores.size_of(kind) in classes:
                return [Problem("stores.performanceInsights.enabled", True,
                                f"RDS has no Performance Insights for {kind} on "
                                f"{stores.size_of(kind)} (stores.{kind}.size): a larger class, "
                                f"or Performance Insights off")]
    if stores.backend_of("mysql") == "inCluster" and stores.mysql.instances != 1:
        return [Problem("stores.mysql.instances", stores.mysql.instances,
                        "the in-cluster MySQL is one server; use backend managed (RDS "
                        "Multi-AZ) for a standby")]
    if stores.backend_of("rabbitmq") == "managed" and \
            (stores.rabbitmq.version or "4").startswith("4") and \
            not stores.size_of("rabbitmq").startswith("mq.m7g."):
        return [Problem("stores.rabbitmq.size", stores.size_of("rabbitmq"),
                        "Amazon MQ runs RabbitMQ 4 on mq.m7g.* brokers only")]
    return []


def section_problems(config: StackConfig) -> list[Problem]:
    """Every section's own cross-field rules."""
    return [*network_problems(config.network), *cluster_problems(config.cluster),
            *dns_problems(config.dns), *monitoring_problems(config.addons),
            *stores_problems(config.stores)]


# ---------------------------------------------------------------------------------------------
# Across sections


def addon_problems(config: StackConfig) -> list[Problem]:
    """Add-ons that need another add-on, or a piece of the stack, that is switched off."""
    a = config.addons
    eks = config.cluster.mode is ClusterMode.EKS
    dns = config.dns.enabled
    problems: list[Problem] = []

    def need(key: str, ok: bool, what: str) -> None:
        if not ok:
            problems.append(Problem(f"addons.{key}.enabled", True, f"needs {what}"))

    if a.ingress.enabled:
        need("ingress", a.gateway_api.enabled, "addons.gatewayApi.enabled, which is false")
        if a.ingress.controller == "istio":
            need("ingress", a.istio.enabled, "addons.istio.enabled (ingress.controller is "
                                             "istio), which is false")
        if eks and not config.cluster.auto_mode:
            need("ingress", a.load_balancer_controller.enabled,
                 "addons.loadBalancerController.enabled (it provisions the NLB), which is false")
    if a.cert_manager.enabled:
        need("certManager", a.gateway_api.enabled, "addons.gatewayApi.enabled, which is false")
        cm = a.cert_manager
        if cm.issuer != "selfsigned" and not cm.acme_email:
            problems.append(Problem("addons.certManager.acmeEmail", None,
                                    f"required for the {cm.issuer} issuer"))
        if cm.issuer != "selfsigned" and cm.solver == "dns01":
            need("certManager", dns, "dns.enabled for DNS-01 challenges, which is false")
            need("certManager", eks, "cluster.mode eks for DNS-01 (its AWS role needs an EKS "
                                     "cluster shipyard creates); use solver http01 or issuer "
                                     "selfsigned")
        if cm.issuer != "selfsigned" and cm.solver == "http01":
            need("certManager", a.ingress.enabled, "addons.ingress.enabled for HTTP-01 "
                                                   "challenges, which is false")
    if a.external_dns.enabled:
        need("externalDns", dns, "dns.enabled (it writes into the stack's zone), which is false")
        need("externalDns", a.gateway_api.enabled, "addons.gatewayApi.enabled, which is false")
        need("externalDns", eks, "cluster.mode eks (its AWS role needs an EKS cluster shipyard "
                                 "creates)")
    if a.load_balancer_controller.enabled:
        need("loadBalancerController", eks, "cluster.mode eks (its AWS role and the VPC it "
                                            "manages)")
    if a.karpenter.enabled:
        need("karpenter", eks, "cluster.mode eks (its AWS role, node roles and subnets)")
    # Auto Mode runs both itself: a second controller would fight it over the same nodes and
    # load balancers (the defaults switch them off, so this is an explicit enabled: true)
    for key, section, what in (("karpenter", a.karpenter, "its own Karpenter"),
                               ("loadBalancerController", a.load_balancer_controller,
                                "its own load balancer controller")):
        if section.enabled and config.cluster.auto_mode:
            problems.append(Problem(f"addons.{key}.enabled", True,
                                    f"shipyard:cluster.autoMode is true, and Auto Mode runs "
                                    f"{what}: drop one of the two"))
    if a.kiali.enabled:
        need("kiali", a.istio.enabled, "addons.istio.enabled, which is false")
        need("kiali", a.monitoring.enabled, "addons.monitoring.enabled (its Prometheus), "
                                            "which is false")
    for key, section in (("logging", a.logging), ("tracing", a.tracing)):
        if section.enabled and section.storage == "s3":
            need(key, eks, "cluster.mode eks for storage s3 (its AWS role); use storage "
                           "filesystem")
    exposed = [(f"{k}.{f}", getattr(s_, attr)) for k, s_, f, attr in (
        ("monitoring", a.monitoring, "grafanaHostname", "grafana_hostname"),
        ("monitoring", a.monitoring, "alertmanagerHostname", "alertmanager_hostname"),
        ("monitoring", a.monitoring, "prometheusHostname", "prometheus_hostname"),
        ("kiali", a.kiali, "hostname", "hostname"),
        ("argocd", a.argocd, "hostname", "hostname")) if s_.enabled]
    for key, host in exposed:
        if host is not None and not a.ingress.enabled:
            problems.append(Problem(f"addons.{key}", host, "needs addons.ingress.enabled (the "
                                                           "shared Gateway serves it), which is "
                                                           "false"))
    for hostname in a.ingress.hostnames:
        if hostname.startswith("*.") and a.cert_manager.solver == "http01" and \
                a.cert_manager.issuer != "selfsigned":
            problems.append(Problem("addons.ingress.hostnames", hostname,
                                    "a wildcard hostname needs certManager.solver dns01"))
    return problems


def _stack_problems(config: StackConfig, region: str) -> Iterator[Problem]:
    cluster = config.cluster
    if config.environment is Environment.PROD and cluster.mode is ClusterMode.EKS:
        if cluster.endpoint_public_access and cidrlib.too_open(cluster.public_access_cidrs):
            yield Problem("cluster.publicAccessCidrs", cluster.public_access_cidrs,
                          f"prod's API endpoint is never open to the internet: these CIDRs "
                          f"together cover {cidrlib.covered(cluster.public_access_cidrs):,} "
                          f"addresses, more than a /8 "
                          f"({cidrlib.MAX_RESTRICTED_ADDRESSES:,}); name your own networks")
    if cluster.mode is ClusterMode.EXISTING and not (config.kubeconfig or cluster.context):
        yield Problem("cluster.mode", "existing", "existing mode needs the secret "
                                                  "shipyard:kubeconfig or cluster.context")
    receivers = config.addons.monitoring.receivers if config.addons.monitoring.enabled else []
    if receivers:
        try:
            urls = json.loads(config.alert_urls or "{}")
        except json.JSONDecodeError:
            urls = None
        if not isinstance(urls, dict):
            yield Problem("alertUrls", "[secret]", "a JSON object: receiver -> URL")
        else:
            for receiver in receivers:
                if not isinstance(urls.get(receiver.name), str):
                    yield Problem("alertUrls", "[secret]",
                                  f"no URL for receiver {receiver.name!r} "
                                  f"(addons.monitoring.receivers); set it with "
                                  f"pulumi config set --secret alertUrls ...")
    if cluster.mode is ClusterMode.EXISTING:
        for kind in SIZE_PREFIX:
            if config.stores.backend_of(kind) == "managed":
                key = "stores.backend" if config.stores.kind(kind).backend is None \
                    else f"stores.{kind}.backend"
                yield Problem(key, "managed", "managed stores live in the stack's VPC: "
                                              "cluster.mode existing has none; use inCluster")
        if config.backups.enabled:
            yield Problem("backups.enabled", True, "Velero writes to S3 with an AWS role, "
                                                   "which needs cluster.mode eks")
    yield from addon_problems(config)
    dns = config.dns
    if dns.enabled and not dns.delegated():
        needs = [what for what, on in (
            ("dns.wildcardCertificate", dns.wildcard_certificate),
            ("addons.externalDns", config.addons.external_dns.enabled),
            ("addons.certManager DNS-01", config.addons.cert_manager.enabled
             and config.addons.cert_manager.solver == "dns01"
             and config.addons.cert_manager.issuer != "selfsigned")) if on]
        if needs:
            yield Problem(
                "dns.parentZoneId", None,
                f"a new zone nobody delegates to never resolves, and {', '.join(needs)} "
                f"would wait on it for ever: set dns.parentZoneId (shipyard adds the NS "
                f"record), dns.zoneId (adopt a delegated zone) or dns.delegatedElsewhere")
    for i, zone in enumerate(config.network.availability_zones or []):
        if not zone.startswith(region):
            yield Problem(f"network.availabilityZones[{i}]", zone,
                          f"{zone} is not in the stack's region aws:region={region}")


def config_problems(config: StackConfig, region: str) -> list[str]:
    """The stack file's values against each other, before the catalogs are read: each
    section's own rules, then (when those hold) the first rule across sections that fails."""
    problems = section_problems(config)
    if not problems:
        first = next(_stack_problems(config, region), None)
        problems = [first] if first is not None else []
    return [p.render() for p in problems]


# ---------------------------------------------------------------------------------------------
# The hosted applications against the stack


def application_problems(settings: Settings) -> list[str]:
    """The hosted applications against the rest of the stack: hostnames the shared Gateway
    serves, one application per hostname, the mesh, the stores, the CDNs."""
    problems: list[str] = [p.render() for p in cluster_name_problems(settings)]
    key = f"{NAMESPACE}:applications"
    hosts: dict[str, str] = {}
    ingress = settings.addons.ingress
    served = settings.gateway_hostnames()
    for app in settings.applications:
        if app.mesh and not settings.addons.istio.enabled:
            problems.append(f"{key}.{app.name}.mesh: the application joins the mesh, but "
                            f"addons.istio.enabled is false (value: true)")
        host = settings.application_host(app)
        if "." not in host:
            problems.append(f"{key}.{app.name}.hostname: {host!r} is a label under dns.domain, "
                            f"which is not set: set dns.domain or a full hostname "
                            f"(value: \"{host}\")")
            continue
        if host in hosts:
            problems.append(f"{key}.{app.name}.hostname: {host} is also {hosts[host]}'s "
                            f"(value: \"{host}\")")
        hosts[host] = app.name
        if ingress.enabled and served and app.routes and not hostnames.served(host, served):
            problems.append(f"{key}.{app.name}.hostname: {host} is not served by the "
                            f"Gateway's HTTPS listeners ({', '.join(served)}): add it to "
                            f"addons.ingress.hostnames (value: \"{host}\")")
    for ui_key, host in settings.ui_hosts().items():
        if host in hosts:
            problems.append(f"{NAMESPACE}:{ui_key}: {host} is also {hosts[host]}'s "
                            f"(value: \"{host}\")")
        hosts[host] = ui_key
        if served and not hostnames.served(host, served):
            problems.append(f"{NAMESPACE}:{ui_key}: {host} is not served by the Gateway's "
                            f"HTTPS listeners ({', '.join(served)}): add it to "
                            f"addons.ingress.hostnames, or unset it for port-forward only "
                            f"(value: \"{host}\")")
    stores = settings.config.stores
    if not settings.addons.cert_manager.enabled and stores.backend_of("rabbitmq") == "inCluster":
        for app in settings.applications:
            if any(st.kind == "rabbitmq" for st in app.stores.values()):
                problems.append(f"{key}.{app.name}.stores: its RabbitMQ runs in the cluster, "
                                f"whose operator's webhooks take their certificate from "
                                f"cert-manager, but addons.certManager.enabled is false (value: "
                                f"false): enable it, or set stores.rabbitmq.backend managed")
                break
    return problems + store_problems(settings) + cdn_problems(settings)


def cluster_name_problems(settings: Settings) -> list[Problem]:
    """The cluster's name when unset is PROJECT-STACK: a stack name AWS's derived names refuse
    (``shipyard.rules.aws_names``) needs cluster.name (a set one is checked by its model)."""
    if settings.cluster.name is not None:
        return []
    message = aws_names.cluster_name_problem(settings.cluster_name)
    if message is None:
        return []
    return [Problem("cluster.name", None, f"unset, so PROJECT-STACK: {message}; set "
                                          f"cluster.name")]


def store_problems(settings: Settings) -> list[str]:
    """Every store a hosted application declares, against what its backend accepts
    (``shipyard.rules.stores``); a stack-wide value wrong for several stores is named once."""
    stores = settings.config.stores
    out: list[str] = []
    windowed = False
    for app in settings.applications:
        for store_name, store in app.stores.items():
            if store.kind == "objectStorage":
                continue
            backend = stores.backend_of(store.kind)
            s = stores.kind(store.kind)
            consumers = store_rules.consumers_of(app, store_name)
            for problem in store_rules.problems(
                    store.kind, backend, version=s.version, storage_gi=s.storage_gi,
                    max_storage_gi=s.max_storage_gi, instances=s.instances,
                    multi_az=stores.multi_az, app=app.name, store_name=store_name,
                    databases=store.databases, consumers=consumers):
                line = problem.render()
                if line not in out:
                    out.append(line)
            windowed |= backend == "managed" and store.kind in store_rules.WINDOWED_KINDS
    if windowed:
        out += [p.render() for p in store_rules.window_problems(stores.backup_window,
                                                                stores.maintenance_window)]
    sharing = False
    for kind in store_rules.SHARED_KINDS:
        logins = store_rules.shared_logins(kind, settings.applications, stores)
        out += [p.render() for p in store_rules.shared_problems(kind, logins)]
        sharing |= store_rules.shared_declared(kind, settings.applications, stores)
    if sharing and any(app.name == store_rules.SHARED_NAMESPACE for app in settings.applications):
        out.append(Problem(f"applications.{store_rules.SHARED_NAMESPACE}",
                           store_rules.SHARED_NAMESPACE,
                           "the shared stores' namespace has that name: rename the "
                           "application").render())
    return out


def cdn_problems(settings: Settings) -> list[str]:
    """Why the stack's CDNs cannot be built, naming ``shipyard:applications.<app>.cdn``: no
    zone to validate the certificate and hold the records in, a hostname outside that zone,
    or one another name already has."""
    problems: list[str] = []
    taken: dict[str, str] = {settings.application_host(app): f"{app.name}'s site"
                             for app in settings.applications}
    domain = settings.dns.domain
    for app in settings.applications:
        if app.cdn is None or not app.cdn.enabled:
            continue
        key = f"{NAMESPACE}:applications.{app.name}.cdn"
        host = hostnames.full_name(app.cdn.hostname, domain)
        if not settings.dns.enabled or not domain:
            problems.append(
                f"{key}: CloudFront needs the stack's hosted zone for its certificate's "
                f"validation and its alias records, but dns.enabled is false: enable dns or "
                f"set {key}.enabled false (value: \"{app.cdn.hostname}\")")
            continue
        if not hostnames.in_zone(domain, host):
            problems.append(f"{key}.hostname: {host} is outside dns.domain ({domain}), the "
                            f"zone its records go in (value: \"{app.cdn.hostname}\")")
            continue
        if host in taken:
            problems.append(f"{key}.hostname: {host} is also {taken[host]} "
                            f"(value: \"{app.cdn.hostname}\")")
        taken[host] = f"{app.name}'s CDN"
    return problems
