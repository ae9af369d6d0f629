"""A lower bound on the placement's cost over individual households and rooms (a
Lagrangian relaxation of the room capacities), computed apart from the placer's model."""
