;; A Spin 1.x HTTP module using `outbound-redis` (the shape Spin's 1.x SDKs import) on the
;; server whose address is the request body:
;; set("greeting", "hello"), get("greeting"), incr("count"), publish("news", "hello").
;; - status 200, body = what get read, header redis-incr = incr's result as a digit;
;; - status 502, body = the name of the first call that returned the error value.
(module
  (import "outbound-redis" "set" (func $set (param i32 i32 i32 i32 i32 i32 i32)))
  (import "outbound-redis" "get" (func $get (param i32 i32 i32 i32 i32)))
  (import "outbound-redis" "incr" (func $incr (param i32 i32 i32 i32 i32)))
  (import "outbound-redis" "publish" (func $publish (param i32 i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 8192))
  (data (i32.const 16) "greeting")
  (data (i32.const 32) "hello")
  (data (i32.const 48) "count")
  (data (i32.const 64) "news")
  (data (i32.const 80) "redis-incr")
  (data (i32.const 96) "set")
  (data (i32.const 112) "get")
  (data (i32.const 128) "incr")
  (data (i32.const 144) "publish")

  (func $alloc (export "canonical_abi_realloc")
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

  ;; The response at 256: status 502, no headers, the failing call's name as the body.
  (func $fail (param $name i32) (param $len i32) (result i32)
    (i32.store16 (i32.const 256) (i32.const 502))
    (i32.store8 (i32.const 260) (i32.const 0))
    (i32.store8 (i32.const 272) (i32.const 1))
    (i32.store (i32.const 276) (local.get $name))
    (i32.store (i32.const 280) (local.get $len))
    (i32.const 256))

  (func (export "handle-http-request")
    (param $method i32) (param $uri i32) (param $uri_len i32) (param $hdrs i32)
    (param $hdrs_len i32) (param $params i32) (param $params_len i32)
    (param $has_body i32) (param $body i32) (param $body_len i32) (result i32)
    ;; set: expected<unit, error> at 600
    (call $set (local.get $body) (local.get $body_len) (i32.const 16) (i32.const 8)
      (i32.const 32) (i32.const 5) (i32.const 600))
    (if (i32.load8_u (i32.const 600)) (then (return (call $fail (i32.const 96) (i32.const 3)))))
    ;; get: expected<list<u8>, error> at 608, (ptr, len) at 612
    (call $get (local.get $body) (local.get $body_len) (i32.const 16) (i32.const 8)
      (i32.const 608))
    (if (i32.load8_u (i32.const 608)) (then (return (call $fail (i32.const 112) (i32.const 3)))))
    ;; incr: expected<s64, error> at 624, the s64 at 632
    (call $incr (local.get $body) (local.get $body_len) (i32.const 48) (i32.const 5)
      (i32.const 624))
    (if (i32.load8_u (i32.const 624)) (then (return (call $fail (i32.const 128) (i32.const 4)))))
    ;; publish: expected<unit, error> at 640
    (call $publish (local.get $body) (local.get $body_len) (i32.const 64) (i32.const 4)
      (i32.const 32) (i32.const 5) (i32.const 640))
    (if (i32.load8_u (i32.const 640)) (then (return (call $fail (i32.const 144) (i32.const 7)))))
    ;; header redis-incr = the digit of incr's result
    (i32.store8 (i32.const 700) (i32.add (i32.const 48) (i32.load8_u (i32.const 632))))
    (i32.store (i32.const 720) (i32.const 80))
    (i32.store (i32.const 724) (i32.const 10))
    (i32.store (i32.const 728) (i32.const 700))
    (i32.store (i32.const 732) (i32.const 1))
    (i32.store16 (i32.const 256) (i32.const 200))
    (i32.store8 (i32.const 260) (i32.const 1))
    (i32.store (i32.const 264) (i32.const 720))
    (i32.store (i32.const 268) (i32.const 1))
    (i32.store8 (i32.const 272) (i32.const 1))
    (i32.store (i32.const 276) (i32.load (i32.const 612)))
    (i32.store (i32.const 280) (i32.load (i32.const 616)))
    (i32.const 256))
)
