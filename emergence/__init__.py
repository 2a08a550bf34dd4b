"""emergence: does semantic-role understanding emerge from next-token pretraining?"""

__version__ = "0.1.0"
