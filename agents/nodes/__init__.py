"""Nodes of the campaign loop graph, built by factories that close over their dependencies."""
