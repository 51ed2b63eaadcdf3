;; A Spin 1.x guest that is not a timer guest: it exports no `handle-timer-request`.
(module
  (memory (export "memory") 1)
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
  (func (export "handle-redis-message") (param i32 i32) (result i32) i32.const 0))
