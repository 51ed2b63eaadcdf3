;; A Spin 1.x-shaped module whose every handler never returns (an infinite loop):
;; handle-http-request, handle-redis-message, handle-timer-request and _start.
(module
  (memory (export "memory") 1)
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func $fail (loop $forever (br $forever)))
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (call $fail) (i32.const 0))
  (func (export "handle-redis-message") (param i32 i32) (result i32) (call $fail) (i32.const 0))
  (func (export "handle-timer-request") (call $fail))
  (func (export "_start") (call $fail))
)
