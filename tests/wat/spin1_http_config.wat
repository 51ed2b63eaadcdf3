;; A Spin 1.x HTTP module (as built by the JS/Rust 1.x SDKs) using host imports:
;; - body: `spin-config::get-config("message")` (status 200), or the error's text (status 500);
;; - header kv-error: the case of the error `key-value::open("default")` returns, as a digit
;;   (the component does not list the store: 2, access-denied).
(module
  (import "spin-config" "get-config" (func $get_config (param i32 i32 i32)))
  (import "key-value" "open" (func $kv_open (param i32 i32 i32)))
  (import "outbound-redis" "publish" (func $publish (param i32 i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 16) "message")
  (data (i32.const 32) "default")
  (data (i32.const 48) "kv-error")

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
    ;; get-config: expected<string, error> at 512
    (call $get_config (i32.const 16) (i32.const 7) (i32.const 512))
    (i32.store8 (i32.const 272) (i32.const 1))
    (if (i32.load8_u (i32.const 512))
      (then
        (i32.store16 (i32.const 256) (i32.const 500))
        (i32.store (i32.const 276) (i32.load (i32.const 520)))
        (i32.store (i32.const 280) (i32.load (i32.const 524))))
      (else
        (i32.store16 (i32.const 256) (i32.const 200))
        (i32.store (i32.const 276) (i32.load (i32.const 516)))
        (i32.store (i32.const 280) (i32.load (i32.const 520)))))
    ;; key-value open: expected<store, error> at 600; the error's case byte at 604
    (call $kv_open (i32.const 32) (i32.const 7) (i32.const 600))
    (i32.store8 (i32.const 656) (i32.add (i32.const 48) (i32.load8_u (i32.const 604))))
    (i32.store (i32.const 640) (i32.const 48))
    (i32.store (i32.const 644) (i32.const 8))
    (i32.store (i32.const 648) (i32.const 656))
    (i32.store (i32.const 652) (i32.const 1))
    (i32.store8 (i32.const 260) (i32.const 1))
    (i32.store (i32.const 264) (i32.const 640))
    (i32.store (i32.const 268) (i32.const 1))
    (i32.const 256))
)
