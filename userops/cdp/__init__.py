"""The user data platform (CDP): import, identities, seed, traits, predictions, segments, search."""
