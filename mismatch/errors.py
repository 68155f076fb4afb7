"""Errors the pipeline raises for bad input, with one-line messages."""


class InputError(ValueError):
    """Bad user input or a bad upstream file: the message names the file or key and the problem."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")
