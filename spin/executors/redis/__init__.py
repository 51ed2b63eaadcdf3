"""The internal Redis trigger executor (`spin trigger redis`); see docs/redis.md."""

from spin.executors.redis.executor import RedisTrigger

__all__ = ["RedisTrigger"]
