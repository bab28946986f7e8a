"""The dispatch engine: policy, outbox, workers and channel adapters. Knows nothing of agents."""
