"""What customers are worth: cohort LTV by acquisition channel, and BG/NBD + Gamma-Gamma predictions."""
