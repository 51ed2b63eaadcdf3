;; The smallest Spin 1.x HTTP hello world (old canonical ABI, no WASI imports): 200,
;; `content-type: text/plain`, "Hello, Fermyon!\n". The benchmark's Spin 1.x guest.
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 16) "content-type")      ;; 12
  (data (i32.const 32) "text/plain")        ;; 10
  (data (i32.const 48) "Hello, Fermyon!\n")  ;; 16
  (data (i32.const 64) "\10\00\00\00\0c\00\00\00\20\00\00\00\0a\00\00\00")
  (func (export "canonical_abi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32) (local $pages i32)
    (local.set $ptr
      (i32.and (i32.sub (i32.add (global.get $heap) (local.get $align)) (i32.const 1))
               (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (local.set $pages
      (i32.sub (i32.shr_u (i32.add (global.get $heap) (i32.const 65535)) (i32.const 16))
               (memory.size)))
    (if (i32.gt_s (local.get $pages) (i32.const 0))
      (then (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1)) (then unreachable))))
    (if (local.get $old)
      (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
    (local.get $ptr))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (i32.store16 (i32.const 256) (i32.const 200))
    (i32.store8 (i32.const 260) (i32.const 1))
    (i32.store (i32.const 264) (i32.const 64))
    (i32.store (i32.const 268) (i32.const 1))
    (i32.store8 (i32.const 272) (i32.const 1))
    (i32.store (i32.const 276) (i32.const 48))
    (i32.store (i32.const 280) (i32.const 16))
    (i32.const 256))
)
