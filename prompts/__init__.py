"""Prompt templates as files (zh and en), loaded by name with named placeholders."""
