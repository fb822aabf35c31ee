"""The row job (b) reads and writes."""

from django.db import models


class Counter(models.Model):
    name = models.CharField(max_length=40, unique=True)
    hits = models.BigIntegerField(default=0)

    class Meta:
        app_label = "realistic"
