from django.db import models


class Item(models.Model):
    """The business object a goflow2 run is about (its automatic steps log into history)."""

    title = models.CharField(max_length=100, default="bench")
    history = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return self.title
