"""The profit of every order: contribution margin from orders, lines, unit costs, labels and payment fees."""
