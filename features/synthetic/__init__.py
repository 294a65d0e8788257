"""Seeded synthetic customer worlds with a known truth, one sub-package a world.

``subscription/`` is the subscription business (customers cancel: churn dates,
an optional retention team); ``noncontract/`` the retailer (customers stop
buying). Each package's ``__init__`` holds its simulation and its docs.
``core/`` is what both share; it imports neither world.
"""
