"""Application catalogs: one YAML file per application in ``catalogs/``, validated like settings.

A catalog declares what an application is: its services (image, ports, replicas or autoscaling,
resources, probes, secrets, the stores it uses, who may call it, progressive delivery,
resilience), its routes, its data stores and whether it joins the mesh. Its ``environments``
section says what differs in dev, staging and prod (the seeds' environment tables); the stack's
``shipyard:applications.<name>`` config overrides last (replicas, hostnames, tags, enabled).

Every problem is one line naming the file (or the config key) and the field:

    catalogs/mentorplatform.yaml: services.gateway.autoscaling.minReplicas: 12 exceeds
    maxReplicas 10 (value: 12)

``services`` and ``models`` hold the models, ``mounts`` the rules of a service's volume mounts,
``load`` reads and resolves the files. Pure:
nothing here touches Pulumi resources.
"""
