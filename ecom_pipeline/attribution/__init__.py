"""Who drove each order: rule-based models, exact Markov-chain removal effects and Shapley values."""
