"""Thin Telegram adapters, one package per feature: parse the update, call a service, render.

Only ``bot/application.py`` imports this package; it wires each feature's ``register`` and
the one input router of :mod:`handlers.shared.router` (ARCHITECTURE.md, "Layers").
"""
