;; A Spin 1.x Redis guest that returns `err(error::error)` for every message: the result record
;; at offset 16 is (is_err = 1, error = 0).
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\01\00")
  (global $next (mut i32) (i32.const 1024))
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get 3)))
    (local.get $ptr))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-redis-message") (param i32 i32) (result i32)
    i32.const 16))
