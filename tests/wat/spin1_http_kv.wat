;; A Spin 1.x HTTP module keeping a log in the default key-value store (the shape Spin's 1.x
;; SDKs import): each request appends its body to the value of "log" and answers the new value.
;; - status 200 and the log as the body;
;; - status 500 and header kv-error = the error's case as a digit when open, get or set fails
;;   (a missing "log" is not a failure: get's no-such-key, case 4, starts an empty log).
;; It also answers header kv-keys with the number of keys (`get-keys`) and kv-exists with
;; `exists("log")` (0 or 1) after the set.
(module
  (import "key-value" "open" (func $open (param i32 i32 i32)))
  (import "key-value" "get" (func $get (param i32 i32 i32 i32)))
  (import "key-value" "set" (func $set (param i32 i32 i32 i32 i32 i32)))
  (import "key-value" "exists" (func $exists (param i32 i32 i32 i32)))
  (import "key-value" "get-keys" (func $get_keys (param i32 i32)))
  (import "key-value" "close" (func $close (param i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 8192))
  (data (i32.const 16) "default")
  (data (i32.const 32) "log")
  (data (i32.const 48) "kv-error")
  (data (i32.const 64) "kv-keys")
  (data (i32.const 80) "kv-exists")

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

  ;; The response at 256: status, and one header (name at $name/$name_len, value = digit of
  ;; the error case at 604 + 4 = the byte at $case) when failing.
  (func $fail (param $case_at i32) (result i32)
    (i32.store16 (i32.const 256) (i32.const 500))
    (i32.store8 (i32.const 700) (i32.add (i32.const 48) (i32.load8_u (local.get $case_at))))
    (i32.store (i32.const 640) (i32.const 48))
    (i32.store (i32.const 644) (i32.const 8))
    (i32.store (i32.const 648) (i32.const 700))
    (i32.store (i32.const 652) (i32.const 1))
    (i32.store8 (i32.const 260) (i32.const 1))
    (i32.store (i32.const 264) (i32.const 640))
    (i32.store (i32.const 268) (i32.const 1))
    (i32.store8 (i32.const 272) (i32.const 0))
    (i32.const 256))

  (func (export "handle-http-request")
    (param $method i32) (param $uri i32) (param $uri_len i32) (param $hdrs i32)
    (param $hdrs_len i32) (param $params i32) (param $params_len i32)
    (param $has_body i32) (param $body i32) (param $body_len i32) (result i32)
    (local $store i32) (local $old i32) (local $old_len i32) (local $new i32) (local $len i32)
    (if (i32.eqz (local.get $has_body)) (then (local.set $body_len (i32.const 0))))
    ;; open("default"): expected<u32, error> at 600
    (call $open (i32.const 16) (i32.const 7) (i32.const 600))
    (if (i32.load8_u (i32.const 600)) (then (return (call $fail (i32.const 604)))))
    (local.set $store (i32.load (i32.const 604)))
    ;; get(store, "log"): expected<list<u8>, error> at 608; no-such-key (4) = empty log
    (call $get (local.get $store) (i32.const 32) (i32.const 3) (i32.const 608))
    (if (i32.load8_u (i32.const 608))
      (then
        (if (i32.ne (i32.load8_u (i32.const 612)) (i32.const 4))
          (then (return (call $fail (i32.const 612))))))
      (else
        (local.set $old (i32.load (i32.const 612)))
        (local.set $old_len (i32.load (i32.const 616)))))
    ;; new = old ++ body
    (local.set $len (i32.add (local.get $old_len) (local.get $body_len)))
    (local.set $new (call $alloc (i32.const 0) (i32.const 0) (i32.const 1) (local.get $len)))
    (memory.copy (local.get $new) (local.get $old) (local.get $old_len))
    (memory.copy (i32.add (local.get $new) (local.get $old_len)) (local.get $body)
      (local.get $body_len))
    ;; set(store, "log", new): expected<unit, error> at 624
    (call $set (local.get $store) (i32.const 32) (i32.const 3) (local.get $new) (local.get $len)
      (i32.const 624))
    (if (i32.load8_u (i32.const 624)) (then (return (call $fail (i32.const 628)))))
    ;; exists(store, "log") at 632, get-keys(store) at 720: headers kv-exists and kv-keys
    (call $exists (local.get $store) (i32.const 32) (i32.const 3) (i32.const 632))
    (call $get_keys (local.get $store) (i32.const 720))
    (call $close (local.get $store))
    (i32.store8 (i32.const 740) (i32.add (i32.const 48) (i32.load8_u (i32.const 636))))
    (i32.store8 (i32.const 741) (i32.add (i32.const 48) (i32.load (i32.const 728))))
    (i32.store (i32.const 640) (i32.const 80))
    (i32.store (i32.const 644) (i32.const 9))
    (i32.store (i32.const 648) (i32.const 740))
    (i32.store (i32.const 652) (i32.const 1))
    (i32.store (i32.const 656) (i32.const 64))
    (i32.store (i32.const 660) (i32.const 7))
    (i32.store (i32.const 664) (i32.const 741))
    (i32.store (i32.const 668) (i32.const 1))
    (i32.store16 (i32.const 256) (i32.const 200))
    (i32.store8 (i32.const 260) (i32.const 1))
    (i32.store (i32.const 264) (i32.const 640))
    (i32.store (i32.const 268) (i32.const 2))
    (i32.store8 (i32.const 272) (i32.const 1))
    (i32.store (i32.const 276) (local.get $new))
    (i32.store (i32.const 280) (local.get $len))
    (i32.const 256))
)
