"""Pulls from the platforms' APIs: each writes what it fetched into the landing folder as an API-shaped file, so a
pulled day is registered, archived, validated and restated exactly like an exported one."""
