;; A component exporting `fermyon:spin/inbound-http` that echoes its request, like
;; spin1_http_echo.wat: status 200; headers spin-echo-method (the method's name),
;; spin-echo-uri, then the request's headers and params; the request body as the body.
;; It prints nothing (no WASI imports).
(component
  ;; Memory and allocator live in their own core instance, so that the canonical options of
  ;; the lifted function can name them.
  (core module $Memory
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 4096))
    (func (export "realloc")
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
      (local.get $ptr)))
  (core instance $memory (instantiate $Memory))

  (core module $Echo
    (import "memory" "memory" (memory 1))
    (import "memory" "realloc" (func $realloc (param i32 i32 i32 i32) (result i32)))
    (data (i32.const 16) "spin-echo-method")
    (data (i32.const 32) "spin-echo-uri")
    (data (i32.const 64) "GET POSTPUT DELETE  PATCH HEADOPTIONS")
    (data (i32.const 128)
      "\40\00\00\00\03\00\00\00" "\44\00\00\00\04\00\00\00" "\48\00\00\00\03\00\00\00"
      "\4c\00\00\00\06\00\00\00" "\54\00\00\00\05\00\00\00" "\5a\00\00\00\04\00\00\00"
      "\5e\00\00\00\07\00\00\00")
    (func (export "handle-request")
      (param $method i32) (param $uri_ptr i32) (param $uri_len i32)
      (param $headers_ptr i32) (param $headers_len i32) (param $params_ptr i32)
      (param $params_len i32) (param $has_body i32) (param $body_ptr i32) (param $body_len i32)
      (result i32)
      (local $list i32) (local $count i32)
      (local.set $count
        (i32.add (i32.add (local.get $headers_len) (local.get $params_len)) (i32.const 2)))
      (local.set $list
        (call $realloc (i32.const 0) (i32.const 0) (i32.const 4)
          (i32.mul (local.get $count) (i32.const 16))))
      (i32.store (local.get $list) (i32.const 16))
      (i32.store offset=4 (local.get $list) (i32.const 16))
      (i32.store offset=8 (local.get $list)
        (i32.load (i32.add (i32.const 128) (i32.mul (local.get $method) (i32.const 8)))))
      (i32.store offset=12 (local.get $list)
        (i32.load offset=4 (i32.add (i32.const 128) (i32.mul (local.get $method) (i32.const 8)))))
      (i32.store offset=16 (local.get $list) (i32.const 32))
      (i32.store offset=20 (local.get $list) (i32.const 13))
      (i32.store offset=24 (local.get $list) (local.get $uri_ptr))
      (i32.store offset=28 (local.get $list) (local.get $uri_len))
      (memory.copy (i32.add (local.get $list) (i32.const 32)) (local.get $headers_ptr)
        (i32.mul (local.get $headers_len) (i32.const 16)))
      (memory.copy
        (i32.add (i32.add (local.get $list) (i32.const 32))
                 (i32.mul (local.get $headers_len) (i32.const 16)))
        (local.get $params_ptr) (i32.mul (local.get $params_len) (i32.const 16)))
      ;; the response record: status u16 @0; option<headers> @4; option<body> @16
      (i32.store16 (i32.const 256) (i32.const 200))
      (i32.store8 (i32.const 260) (i32.const 1))
      (i32.store (i32.const 264) (local.get $list))
      (i32.store (i32.const 268) (local.get $count))
      (i32.store8 (i32.const 272) (local.get $has_body))
      (i32.store (i32.const 276) (local.get $body_ptr))
      (i32.store (i32.const 280) (local.get $body_len))
      (i32.const 256)))
  (core instance $echo (instantiate $Echo (with "memory" (instance $memory))))

  (type $method (enum "get" "post" "put" "delete" "patch" "head" "options"))
  (type $pairs (list (tuple string string)))
  (type $request (record
    (field "method" $method) (field "uri" string) (field "headers" $pairs)
    (field "params" $pairs) (field "body" (option (list u8)))))
  (type $response (record
    (field "status" u16) (field "headers" (option $pairs)) (field "body" (option (list u8)))))
  (func $handle-request (param "req" $request) (result $response)
    (canon lift (core func $echo "handle-request")
      (memory (core memory $memory "memory")) (realloc (core func $memory "realloc"))))
  (instance $inbound-http
    (export "method" (type $method))
    (export "request" (type $request))
    (export "response" (type $response))
    (export "handle-request" (func $handle-request)))
  (export "fermyon:spin/inbound-http" (instance $inbound-http))
)
