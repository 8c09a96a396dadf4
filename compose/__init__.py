"""Settings in, each component's Args out: the one place that reads ``Settings``.

The components take narrow, typed Args and never see the settings object; ``__main__.py`` loads
the settings, asks this package for each component's Args and registers the components.

- ``compose.platform``: the network, the cluster (EKS or existing), the registry, DNS, and the
  ``ClusterContext`` every in-cluster component lands on.
- ``compose.addons``: ``AddonsArgs``, each add-on's Args or None where it is switched off.
- ``compose.stores``: what every tenant's stores share, and the store operators' Args.
- ``compose.applications``: ``ApplicationsArgs``, each hosted application's tenant and CDN.

Everything here is a plain function of the settings and the runtime values passed in (cluster
and network outputs); nothing registers a resource.
"""
