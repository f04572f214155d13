;; A classifier's predictions as JSON text, written in place inside the
;; answer: the part of the answer that grows with the batch (about 1,000
;; reasons and 100 KB for 256 applicants), which JavaScript wrote in about
;; four pieces per reason and five per row. shared/reasons-writer.ts lays out
;; the memory; shared/answer-json.ts writes the answer into the same memory,
;; letting $rows write each plain row whole (no warnings, no pass-through
;; value) and $row the reasons of the rows it writes itself. Build: `npm run build:kernels`
;; (wabt) writes reasons.wasm next to this file. test/reasons-writer.test.ts
;; holds its bytes to the JavaScript writer's (and so to JSON.stringify) on
;; generated models and batches.
;;
;; Per row, what shared/answer-json.ts's classifierReasons does: the features
;; whose impact is above 1e-6, keyed by the impact rounded to 1e-6
;; (Math.round(x · 1e6), which is floor(x + 0.5) for x ≥ 1), the k largest,
;; ties in feature order; each written as its feature's fixed head, its value,
;; `,"impact":`, the rounded impact and its fixed reason text. A value is a
;; category (its piece: head, value and `,"impact":` together), null, or a
;; number. A number that $decimal cannot write as String() would, or a value
;; of any other kind, leaves the row to JavaScript ($row answers -1).
;;
;; Memory (byte offsets given to $setup): tab = per feature 8 i32 [piece
;; offset, piece length, text offset, text length, first value's index in
;; vtab, 0, 0, 0], the piece being `,{"feature":<name>,"value":` (the first
;; reason skips its comma); vtab = per category value 2 i32 [offset, length]
;; of `,{"feature":<name>,"value":<value>,"impact":`; ftab = the fixed
;; pieces as 2 i32 [offset, length] each, numbered as $piece reads them
;; (shared/reasons-writer.ts's PIECES); imp = f64 [n][nf] impacts; codes = i32
;; [n][nf] (a category's index ≥ 0, -1 null, -2 a number in vals, else
;; JavaScript's); vals = f64 [n][nf]; pick = scratch, 16 bytes per reason.
;; The answer is written after these; $put may write up to 15 bytes past a
;; row's end, which the caller leaves room for.
(module
  (memory (export "memory") 1)

  ;; k's decimal digits at p (k read as unsigned); returns the end
  (func $digits32 (param $p i32) (param $k i32) (result i32)
    (local $t i32) (local $end i32)
    (local.set $end (i32.add (local.get $p) (i32.const 1)))
    (local.set $t (local.get $k))
    (block $counted
      (loop $count
        (br_if $counted (i32.lt_u (local.get $t) (i32.const 10)))
        (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
        (local.set $end (i32.add (local.get $end) (i32.const 1)))
        (br $count)))
    (local.set $p (local.get $end))
    (loop $write
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $k) (i32.const 10))))
      (local.set $k (i32.div_u (local.get $k) (i32.const 10)))
      (br_if $write (local.get $k)))
    (local.get $end))

  ;; the same for a k up to 2⁶⁴ − 1: the top digits, then the last nine
  (func $digits (param $p i32) (param $k i64) (result i32)
    (local $low i32) (local $end i32)
    (if (i64.lt_u (local.get $k) (i64.const 0x100000000))
      (then (return (call $digits32 (local.get $p) (i32.wrap_i64 (local.get $k))))))
    (local.set $p (call $digits (local.get $p) (i64.div_u (local.get $k) (i64.const 1000000000))))
    (local.set $low (i32.wrap_i64 (i64.rem_u (local.get $k) (i64.const 1000000000))))
    (local.set $end (i32.add (local.get $p) (i32.const 9)))
    (local.set $p (local.get $end))
    (loop $write
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $low) (i32.const 10))))
      (local.set $low (i32.div_u (local.get $low) (i32.const 10)))
      (br_if $write (i32.gt_u (local.get $p) (i32.sub (local.get $end) (i32.const 9)))))
    (local.get $end))

  ;; k / 1e6 as String writes it for an integer 1 ≤ k < 1e15 (see $decimal): the whole part, then up to six
  ;; decimals with the trailing zeros dropped
  (func $micros (param $p i32) (param $k i64) (result i32)
    (local $frac i32) (local $n i32) (local $q i32)
    ;; an impact's k fits 32 bits: no 64-bit division
    (if (i64.lt_u (local.get $k) (i64.const 0x100000000))
      (then
        (local.set $frac (i32.wrap_i64 (local.get $k)))
        (local.set $p (call $digits32 (local.get $p) (i32.div_u (local.get $frac) (i32.const 1000000))))
        (local.set $frac (i32.rem_u (local.get $frac) (i32.const 1000000))))
      (else
        (local.set $p (call $digits (local.get $p) (i64.div_u (local.get $k) (i64.const 1000000))))
        (local.set $frac (i32.wrap_i64 (i64.rem_u (local.get $k) (i64.const 1000000))))))
    (if (i32.eqz (local.get $frac)) (then (return (local.get $p))))
    (local.set $n (i32.const 6))
    (block $trimmed
      (loop $trim
        (br_if $trimmed (i32.rem_u (local.get $frac) (i32.const 10)))
        (local.set $frac (i32.div_u (local.get $frac) (i32.const 10)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $trim)))
    (i32.store8 (local.get $p) (i32.const 46))
    (local.set $q (i32.add (local.get $p) (local.get $n)))
    (loop $write
      (i32.store8 (local.get $q) (i32.add (i32.const 48) (i32.rem_u (local.get $frac) (i32.const 10))))
      (local.set $frac (i32.div_u (local.get $frac) (i32.const 10)))
      (local.set $q (i32.sub (local.get $q) (i32.const 1)))
      (br_if $write (i32.gt_u (local.get $q) (local.get $p))))
    (i32.add (i32.add (local.get $p) (local.get $n)) (i32.const 1)))

  ;; String(v) at p for a finite v whose size is 0, an integer below 1e15,
  ;; or the double nearest k / 1e6 for an integer 1 ≤ k < 1e15 (checked by
  ;; dividing back). Such a decimal has at most 15 significant digits, so no
  ;; other decimal that short rounds to v: it is String's shortest form, and
  ;; String writes it without an exponent (1e-6 ≤ |v| < 1e21). Returns the
  ;; end, or -1 (nothing to rely on at p) for any other v.
  (func $decimal (export "decimal") (param $p i32) (param $v f64) (result i32)
    (local $a f64) (local $x f64)
    (local.set $a (f64.abs (local.get $v)))
    (if (f64.eq (local.get $a) (f64.const 0))
      (then
        (i32.store8 (local.get $p) (i32.const 48))
        (return (i32.add (local.get $p) (i32.const 1)))))
    (if (f64.lt (local.get $v) (f64.const 0))
      (then
        (i32.store8 (local.get $p) (i32.const 45))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))))
    (if (i32.and (f64.lt (local.get $a) (f64.const 1e15)) (f64.eq (f64.floor (local.get $a)) (local.get $a)))
      (then (return (call $digits (local.get $p) (i64.trunc_f64_u (local.get $a))))))
    (local.set $x (f64.floor (f64.add (f64.mul (local.get $a) (f64.const 1e6)) (f64.const 0.5))))
    (if (i32.or (i32.or (f64.lt (local.get $x) (f64.const 1)) (f64.ge (local.get $x) (f64.const 1e15)))
                (f64.ne (f64.div (local.get $x) (f64.const 1e6)) (local.get $a)))
      (then (return (i32.const -1))))
    (call $micros (local.get $p) (i64.trunc_f64_u (local.get $x))))

  ;; copies len bytes from src to p, 16 at a time (a piece is a few dozen bytes: memory.copy's call cost more
  ;; than the copy); up to 15 bytes past the end are overwritten, which the caller leaves room for. Returns the end.
  (func $put (param $p i32) (param $src i32) (param $len i32) (result i32)
    (local $o i32)
    (loop $chunk
      (v128.store (i32.add (local.get $p) (local.get $o)) (v128.load (i32.add (local.get $src) (local.get $o))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br_if $chunk (i32.lt_s (local.get $o) (local.get $len))))
    (i32.add (local.get $p) (local.get $len)))

  ;; The batch's inputs and tables, for the row calls that follow (one call per request).
  (global $nf (mut i32) (i32.const 0))
  (global $k (mut i32) (i32.const 0))
  (global $tab (mut i32) (i32.const 0))
  (global $vtab (mut i32) (i32.const 0))
  (global $ftab (mut i32) (i32.const 0))
  (global $imp (mut i32) (i32.const 0))
  (global $codes (mut i32) (i32.const 0))
  (global $vals (mut i32) (i32.const 0))
  (global $pick (mut i32) (i32.const 0))

  (func (export "setup")
    (param $nf i32) (param $k i32) (param $tab i32) (param $vtab i32) (param $ftab i32)
    (param $imp i32) (param $codes i32) (param $vals i32) (param $pick i32)
    (global.set $nf (local.get $nf)) (global.set $k (local.get $k)) (global.set $tab (local.get $tab))
    (global.set $vtab (local.get $vtab)) (global.set $ftab (local.get $ftab)) (global.set $imp (local.get $imp))
    (global.set $codes (local.get $codes)) (global.set $vals (local.get $vals)) (global.set $pick (local.get $pick)))

  ;; Row i's reasons written at p (inside the answer, after its `"reasons":[`); returns the end, or -1 when the
  ;; row is JavaScript's to write (nothing at p to rely on).
  (func $reasons (export "row") (param $i i32) (param $p i32) (result i32)
    (local $nf i32) (local $k i32) (local $tab i32) (local $vtab i32)
    (local $imp i32) (local $codes i32) (local $vals i32) (local $pick i32)
    (local $j i32) (local $q i32) (local $at i32) (local $count i32) (local $base i32)
    (local $t i32) (local $v i32) (local $code i32) (local $skip i32)
    (local $im f64) (local $key f64)
    (local.set $nf (global.get $nf)) (local.set $k (global.get $k)) (local.set $tab (global.get $tab))
    (local.set $vtab (global.get $vtab)) (local.set $imp (global.get $imp))
    (local.set $codes (global.get $codes)) (local.set $vals (global.get $vals)) (local.set $pick (global.get $pick))
    (local.set $base (i32.mul (local.get $i) (local.get $nf)))
    ;; the k largest rounded impacts above 1e-6, ties in feature order (an insertion, as a stable sort would have them)
    (block $pickedAll
      (loop $feature
        (br_if $pickedAll (i32.ge_u (local.get $j) (local.get $nf)))
        (local.set $im (f64.load (i32.add (local.get $imp) (i32.shl (i32.add (local.get $base) (local.get $j)) (i32.const 3)))))
        (if (f64.gt (local.get $im) (f64.const 1e-6))
          (then
            ;; k = Math.round(impact × 1e6); k / 1e6 orders as k does
            (local.set $key (f64.floor (f64.add (f64.mul (local.get $im) (f64.const 1e6)) (f64.const 0.5))))
            (local.set $at (local.get $count))
            (block $placed
              (loop $up
                (br_if $placed (i32.eqz (local.get $at)))
                (br_if $placed (i32.eqz (f64.lt
                  (f64.load (i32.add (local.get $pick) (i32.shl (i32.sub (local.get $at) (i32.const 1)) (i32.const 4))))
                  (local.get $key))))
                (local.set $at (i32.sub (local.get $at) (i32.const 1)))
                (br $up)))
            (if (i32.lt_u (local.get $at) (local.get $k))
              (then
                (local.set $q (select (local.get $count) (i32.sub (local.get $k) (i32.const 1)) (i32.lt_u (local.get $count) (local.get $k))))
                (block $shifted
                  (loop $shift
                    (br_if $shifted (i32.le_u (local.get $q) (local.get $at)))
                    (v128.store (i32.add (local.get $pick) (i32.shl (local.get $q) (i32.const 4)))
                      (v128.load (i32.add (local.get $pick) (i32.shl (i32.sub (local.get $q) (i32.const 1)) (i32.const 4)))))
                    (local.set $q (i32.sub (local.get $q) (i32.const 1)))
                    (br $shift)))
                (f64.store (i32.add (local.get $pick) (i32.shl (local.get $at) (i32.const 4))) (local.get $key))
                (i32.store offset=8 (i32.add (local.get $pick) (i32.shl (local.get $at) (i32.const 4))) (local.get $j))
                (if (i32.lt_u (local.get $count) (local.get $k))
                  (then (local.set $count (i32.add (local.get $count) (i32.const 1)))))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $feature)))
    ;; the picks as text; $q counts them (the first has no leading comma)
    (local.set $q (i32.const 0))
    (block $written
      (loop $reason
        (br_if $written (i32.ge_u (local.get $q) (local.get $count)))
        (local.set $skip (select (i32.const 0) (i32.const 1) (local.get $q)))
        (local.set $j (i32.load offset=8 (i32.add (local.get $pick) (i32.shl (local.get $q) (i32.const 4)))))
        (local.set $t (i32.add (local.get $tab) (i32.shl (local.get $j) (i32.const 5))))
        (local.set $code (i32.load (i32.add (local.get $codes) (i32.shl (i32.add (local.get $base) (local.get $j)) (i32.const 2)))))
        (if (i32.ge_s (local.get $code) (i32.const 0))
          (then
            (local.set $v (i32.add (local.get $vtab) (i32.shl (i32.add (i32.load offset=16 (local.get $t)) (local.get $code)) (i32.const 3))))
            (local.set $p (call $put (local.get $p)
              (i32.add (i32.load (local.get $v)) (local.get $skip)) (i32.sub (i32.load offset=4 (local.get $v)) (local.get $skip)))))
          (else
            (local.set $p (call $put (local.get $p)
              (i32.add (i32.load (local.get $t)) (local.get $skip)) (i32.sub (i32.load offset=4 (local.get $t)) (local.get $skip))))
            (if (i32.eq (local.get $code) (i32.const -1))
              (then (local.set $p (call $piece (local.get $p) (i32.const 1))))
              (else
                (if (i32.ne (local.get $code) (i32.const -2)) (then (return (i32.const -1))))
                (local.set $p (call $decimal (local.get $p)
                  (f64.load (i32.add (local.get $vals) (i32.shl (i32.add (local.get $base) (local.get $j)) (i32.const 3))))))
                (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))))
            (local.set $p (call $piece (local.get $p) (i32.const 0)))))
        ;; String(k / 1e6): the impact is a difference of probabilities, so k ≤ 1e6; anything larger is JavaScript's
        (local.set $key (f64.load (i32.add (local.get $pick) (i32.shl (local.get $q) (i32.const 4)))))
        (if (f64.gt (local.get $key) (f64.const 1e9)) (then (return (i32.const -1))))
        (local.set $p (call $micros (local.get $p) (i64.trunc_f64_u (local.get $key))))
        (local.set $p (call $put (local.get $p) (i32.load offset=8 (local.get $t)) (i32.load offset=12 (local.get $t))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $reason)))
    (local.get $p))

  ;; Whole predictions: the answers, their digits as String() wrote them (one comma-separated run), the rows
  ;; JavaScript writes itself, where each row starts and the decision thresholds.
  (global $probs (mut i32) (i32.const 0))
  (global $tok (mut i32) (i32.const 0))
  (global $digitsEnd (mut i32) (i32.const 0))
  (global $own (mut i32) (i32.const 0))
  (global $marks (mut i32) (i32.const 0))
  (global $refer (mut f64) (f64.const 0))
  (global $decline (mut f64) (f64.const 0))
  (global $stop (mut i32) (i32.const 0))

  (func (export "setupRows")
    (param $probs i32) (param $digits i32) (param $digitsEnd i32) (param $own i32) (param $marks i32)
    (param $refer f64) (param $decline f64)
    (global.set $probs (local.get $probs)) (global.set $tok (local.get $digits)) (global.set $digitsEnd (local.get $digitsEnd))
    (global.set $own (local.get $own)) (global.set $marks (local.get $marks))
    (global.set $refer (local.get $refer)) (global.set $decline (local.get $decline)))

  ;; the fixed piece numbered $k in ftab (pairs of offset, length), at p; returns the end
  (func $piece (param $p i32) (param $k i32) (result i32)
    (local $e i32)
    (local.set $e (i32.add (global.get $ftab) (i32.shl (local.get $k) (i32.const 3))))
    (call $put (local.get $p) (i32.load (local.get $e)) (i32.load offset=4 (local.get $e))))

  ;; Where the next answer's digits end (at its comma, or the end of the run).
  (func $tokenEnd (result i32)
    (local $t i32) (local $end i32)
    (local.set $t (global.get $tok))
    (local.set $end (global.get $digitsEnd))
    (block $found
      (loop $scan
        (br_if $found (i32.ge_u (local.get $t) (local.get $end)))
        (br_if $found (i32.eq (i32.load8_u (local.get $t)) (i32.const 44)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $scan)))
    (local.get $t))

  ;; The next answer's digits copied to p, and passed over; returns the end.
  (func $digitsOf (param $p i32) (result i32)
    (local $t i32)
    (local.set $t (call $tokenEnd))
    (local.set $p (call $put (local.get $p) (global.get $tok) (i32.sub (local.get $t) (global.get $tok))))
    (global.set $tok (i32.add (local.get $t) (i32.const 1)))
    (local.get $p))

  ;; Rows i, i + 1, … of n written whole at p, as shared/answer-json.ts writes a classifier's row with reasons
  ;; and no warnings or pass-through value: `,{"probability":` (row 0 without the comma), the digits, the
  ;; decision with `,"reasons":[`, the reasons, `],"warnings":[]}`; each row's start in marks. Stops at the
  ;; first row JavaScript writes (marked own, or whose reasons $reasons leaves), with that row's digits
  ;; passed over and nothing of it written; $stopped says which (n when none). Returns the end.
  (func (export "rows") (param $i i32) (param $n i32) (param $p i32) (result i32)
    (local $start i32) (local $e i32) (local $prob f64)
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $start (local.get $p))
        (if (i32.load8_u (i32.add (global.get $own) (local.get $i)))
          (then
            (global.set $tok (i32.add (call $tokenEnd) (i32.const 1)))
            (global.set $stop (local.get $i))
            (return (local.get $start))))
        (i32.store (i32.add (global.get $marks) (i32.shl (local.get $i) (i32.const 2))) (local.get $p))
        ;; `,{"probability":`, the first row's without its comma
        (local.set $e (i32.add (global.get $ftab) (i32.const 16)))
        (local.set $p (call $put (local.get $p)
          (i32.add (i32.load (local.get $e)) (i32.eqz (local.get $i)))
          (i32.sub (i32.load offset=4 (local.get $e)) (i32.eqz (local.get $i)))))
        (local.set $p (call $digitsOf (local.get $p)))
        ;; the decision: decline at or above its threshold, else refer at or above its own, else approve
        (local.set $prob (f64.promote_f32 (f32.load (i32.add (global.get $probs) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $p (call $piece (local.get $p)
          (select (i32.const 6)
            (select (i32.const 5) (i32.const 4) (f64.ge (local.get $prob) (global.get $refer)))
            (f64.ge (local.get $prob) (global.get $decline)))))
        (local.set $p (call $reasons (local.get $i) (local.get $p)))
        (if (i32.lt_s (local.get $p) (i32.const 0))
          (then
            (global.set $stop (local.get $i))
            (return (local.get $start))))
        (local.set $p (call $piece (local.get $p) (i32.const 3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row)))
    (global.set $stop (local.get $n))
    (local.get $p))

  (func (export "stopped") (result i32) (global.get $stop)))
