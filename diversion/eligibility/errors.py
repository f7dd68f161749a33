"""The one exception the engine raises for bad input."""


class InvalidInput(ValueError):
    """Input the engine cannot screen.

    ``field`` is a path into the input: ``"location.lat"``, ``"substances[2].grams"``,
    ``"[3].occurred_at"`` inside a batch, ``"(root)"`` when the input as a whole is not an
    object (or, for a batch, not an array) and ``"[3]"`` when one item of a batch is not an
    object. ``str(error)`` is ``"<field>: <message>"``, fit for an officer or a log line.
    """

    ROOT = "(root)"

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")

    def __reduce__(self):
        return (type(self), (self.field, self.message))

    def at_index(self, index: int) -> "InvalidInput":
        """The same error, for item ``index`` of a batch."""
        if self.field == self.ROOT or not self.field:
            field = f"[{index}]"
        elif self.field.startswith("["):
            field = f"[{index}]{self.field}"
        else:
            field = f"[{index}].{self.field}"
        return InvalidInput(field, self.message)


class RuleSetError(Exception):
    """A rule file or area file that cannot be loaded: a deployment error, not bad input."""

    def __init__(self, where: str, message: str):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")
