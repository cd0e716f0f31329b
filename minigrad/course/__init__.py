"""The course's machinery around the engine: where a learner's work lives, and how it is graded."""
