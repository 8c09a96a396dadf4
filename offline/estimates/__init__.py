"""Offline estimates derived from a Plan: monthly cost (cost.py) and deploy time."""
