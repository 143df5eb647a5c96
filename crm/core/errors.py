"""Domain errors: a refusal carrying a French message for the user."""


class DomainError(Exception):
    """Raised by services when a rule refuses an action; the message is shown as is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ImportErrors(DomainError):
    """An import refused as a whole, with one message per faulty line."""

    def __init__(self, errors: list[tuple[int, str]]):
        count = len(errors)
        lines = "1 ligne en erreur" if count == 1 else f"{count} lignes en erreur"
        super().__init__(f"{lines} : rien n'a été importé.")
        self.errors = errors
