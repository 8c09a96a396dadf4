"""Stack configuration -> frozen, typed settings.

``load`` is the only reader of ``pulumi.Config``; ``base`` holds the model base, the error type
and how a problem is rendered; one module per ``shipyard:*`` section (network, cluster,
registry, dns, addons, workloads, stores, backups, cdn) defines its values; ``stack`` the whole
(``StackConfig``, ``Settings``); ``defaults`` the per-environment defaults; ``checks`` every
rule across fields and sections. Components never see any of it: ``compose/`` turns the
settings into their Args.
"""
