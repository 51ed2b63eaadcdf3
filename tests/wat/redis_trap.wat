;; A Spin 1.x Redis guest that traps on every message (`unreachable`): the executor must log the
;; failure with the component id and channel, and keep serving.
(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get 3)))
    (local.get $ptr))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-redis-message") (param i32 i32) (result i32)
    unreachable))
