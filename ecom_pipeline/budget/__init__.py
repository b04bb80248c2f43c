"""Where next week's budget should go: response curves, a profit-maximising allocation, inventory guardrails."""
