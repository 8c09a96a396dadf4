"""Cluster add-ons: one component per file, all built on components/addons/base.py."""
