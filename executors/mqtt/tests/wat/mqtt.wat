;; An MQTT guest as a Wasm component of the plugin's world `spin-mqtt` (spin-mqtt.wit of
;; spin-trigger-mqtt, package `spin:mqtt-trigger`): it exports
;;   handle-message: func(message: payload, metadata: metadata) -> result<_, error>
;; with `metadata` ({topic}) and `error` from the imported `spin:mqtt-trigger/spin-mqtt-types`,
;; as a guest built with the plugin's SDK does. Each message writes "<topic> <payload>" to
;; stdout; a payload starting with "fail" returns error other("refused").
(component
  (import "wasi:io/error@0.2.0" (instance $io-error
    (export "error" (type (sub resource)))))
  (alias export $io-error "error" (type $io-err))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (export "output-stream" (type $output-stream (sub resource)))
    (alias outer 1 $io-err (type $outer-error))
    (export "error" (type $error' (eq $outer-error)))
    (type $stream-error' (variant (case "last-operation-failed" (own $error')) (case "closed")))
    (export "stream-error" (type $stream-error (eq $stream-error')))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $output-stream)) (param "contents" (list u8))
        (result (result (error $stream-error)))))))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer 1 $output-stream (type $outer-stream))
    (export "output-stream" (type $output-stream' (eq $outer-stream)))
    (export "get-stdout" (func (result (own $output-stream'))))))
  (import "spin:mqtt-trigger/spin-mqtt-types" (instance $types
    (type $error' (variant (case "other" string)))
    (export "error" (type $error (eq $error')))
    (type $metadata' (record (field "topic" string)))
    (export "metadata" (type $metadata (eq $metadata')))))
  (alias export $types "error" (type $error))
  (alias export $types "metadata" (type $metadata))

  (core module $memory-module
    (memory (export "memory") 1)
    ;; A bump allocator from 1024: every call runs in a fresh instance, so nothing is freed.
    (global $heap (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $at i32)
      (local.set $at (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
      (global.set $heap (i32.add (local.get $at) (local.get 3)))
      (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
        (then (drop (memory.grow
          (i32.add (i32.shr_u (global.get $heap) (i32.const 16)) (i32.const 1))))))
      (local.get $at)))
  (core instance $memory-instance (instantiate $memory-module))
  (alias core export $memory-instance "memory" (core memory $memory))
  (alias core export $memory-instance "realloc" (core func $realloc))
  (core func $get-stdout (canon lower (func $stdout "get-stdout")))
  (core func $write
    (canon lower (func $streams "[method]output-stream.blocking-write-and-flush")
      (memory $memory)))
  (core func $drop-stream (canon resource.drop $output-stream))

  (core module $mqtt
    (import "env" "memory" (memory 1))
    (import "env" "realloc" (func $realloc (param i32 i32 i32 i32) (result i32)))
    (import "host" "get-stdout" (func $get-stdout (result i32)))
    (import "host" "write" (func $write (param i32 i32 i32 i32)))
    (import "host" "drop" (func $drop (param i32)))
    (data (i32.const 16) "refused")
    ;; The result lives at 256: case at +0 (0 ok, 1 error); the error's case at +4 (0 = other),
    ;; its string's pointer at +8 and length at +12.
    (func (export "handle-message")
      (param $payload i32) (param $payload-len i32) (param $topic i32) (param $topic-len i32)
      (result i32)
      (local $line i32) (local $len i32) (local $stdout i32)
      ;; "<topic> <payload>\n" in a buffer of its own.
      (local.set $len (i32.add (i32.add (local.get $topic-len) (local.get $payload-len)) (i32.const 2)))
      (local.set $line (call $realloc (i32.const 0) (i32.const 0) (i32.const 1) (local.get $len)))
      (memory.copy (local.get $line) (local.get $topic) (local.get $topic-len))
      (i32.store8 (i32.add (local.get $line) (local.get $topic-len)) (i32.const 32))
      (memory.copy (i32.add (i32.add (local.get $line) (local.get $topic-len)) (i32.const 1))
        (local.get $payload) (local.get $payload-len))
      (i32.store8 (i32.sub (i32.add (local.get $line) (local.get $len)) (i32.const 1)) (i32.const 10))
      (local.set $stdout (call $get-stdout))
      (call $write (local.get $stdout) (local.get $line) (local.get $len) (i32.const 512))
      (call $drop (local.get $stdout))
      (i32.store8 (i32.const 256) (i32.const 0))
      ;; A payload starting with "fail" (the bytes read as a little-endian i32).
      (if (i32.and (i32.ge_u (local.get $payload-len) (i32.const 4))
                   (i32.eq (i32.load (local.get $payload)) (i32.const 0x6c696166)))
        (then
          (i32.store8 (i32.const 256) (i32.const 1))
          (i32.store8 (i32.const 260) (i32.const 0))
          (i32.store (i32.const 264) (i32.const 16))
          (i32.store (i32.const 268) (i32.const 7))))
      (i32.const 256)))
  (core instance $mqtt-instance
    (instantiate $mqtt
      (with "env" (instance
        (export "memory" (memory $memory))
        (export "realloc" (func $realloc))))
      (with "host" (instance
        (export "get-stdout" (func $get-stdout))
        (export "write" (func $write))
        (export "drop" (func $drop-stream))))))
  (type $payload (list u8))
  (func (export "handle-message") (param "message" $payload) (param "metadata" $metadata)
    (result (result (error $error)))
    (canon lift (core func $mqtt-instance "handle-message") (memory $memory)
      (realloc $realloc))))
