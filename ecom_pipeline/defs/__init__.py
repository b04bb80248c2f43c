"""The Dagster shell: assets, checks, sensors, schedules and resources that call the pure core."""
