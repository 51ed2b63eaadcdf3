"""The internal Redis trigger executor (`spin trigger redis`); see docs/redis.md."""

from spin.triggers.redis.executor import RedisTrigger

__all__ = ["RedisTrigger"]
