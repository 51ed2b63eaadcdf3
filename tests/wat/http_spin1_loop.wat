;; A Spin 1.x HTTP guest whose handler never returns (an infinite loop): the per-request
;; deadline must stop it.
(module
  (memory (export "memory") 1)
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (i32.const 4096))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0))
)
