;; The forward pass and reason-code impacts for a network Dense(U, relu) →
;; Dense(1, ·), four hidden units per SIMD instruction. The JavaScript
;; shortcut in shared/explain.ts does the same arithmetic one unit at a time;
;; this is its fast path for the reference architecture. Build:
;; `npm run build:kernels` (wabt) writes impacts.wasm next to this file;
;; test/impact-kernel.test.ts checks the two agree byte for byte and that the
;; kernel's outputs and impacts equal tfjs's.
;;
;; Memory (f32 unless said, byte offsets passed in): w = first kernel
;; [width][upad] (rows padded with zeros to upad, a multiple of 16: the loops
;; take 16 units a turn), b = bias [upad], ow = output weights [upad] (zeros
;; in the padding), base = baseline row [width], seg = [start, end) per
;; feature as i32 pairs, x = rows [n][width], pre and acc = scratch [upad],
;; out = [n][nseg + 1]: the output layer's sum (before its bias and
;; activation) for the row itself, then for the row with feature j reset to
;; the baseline (nseg = 0: the forward pass alone). A feature already at its
;; baseline gets exactly the row's own sum.
;;
;; Order of operations (float32, no fused multiply-add): a hidden unit's sum is
;; the bias plus x[i] · w[i] for the non-zero inputs in input order (two inputs
;; a pass); a feature's is the row's plus (baseline − x) · w for its changed
;; columns in column order (one or two, the common case, fused into the output
;; sum without writing them back); the output sum is four partial sums of
;; relu · ow added ((s0 + s1) + (s2 + s3)), then lane by lane the same way.
;; test/impact-kernel-bits.test.ts holds the kernel to a scalar model of
;; exactly this, to the bit: rearranging it for speed never moves an answer.
(module
  (memory (export "memory") 1)

  ;; y[0 .. bytes) += a · v[0 .. bytes), four vectors (16 units) per iteration
  (func $axpy (param $y i32) (param $v i32) (param $a f32) (param $bytes i32)
    (local $end i32) (local $av v128)
    (local.set $av (f32x4.splat (local.get $a)))
    (local.set $end (i32.add (local.get $y) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (v128.store offset=0 (local.get $y)
          (f32x4.add (v128.load offset=0 (local.get $y)) (f32x4.mul (local.get $av) (v128.load offset=0 (local.get $v)))))
        (v128.store offset=16 (local.get $y)
          (f32x4.add (v128.load offset=16 (local.get $y)) (f32x4.mul (local.get $av) (v128.load offset=16 (local.get $v)))))
        (v128.store offset=32 (local.get $y)
          (f32x4.add (v128.load offset=32 (local.get $y)) (f32x4.mul (local.get $av) (v128.load offset=32 (local.get $v)))))
        (v128.store offset=48 (local.get $y)
          (f32x4.add (v128.load offset=48 (local.get $y)) (f32x4.mul (local.get $av) (v128.load offset=48 (local.get $v)))))
        (local.set $y (i32.add (local.get $y) (i32.const 64)))
        (local.set $v (i32.add (local.get $v) (i32.const 64)))
        (br $next))))

  ;; Σ relu(h[u]) · ow[u], four vectors per iteration (four partial sums, added at the end)
  (func $reluDot (param $h i32) (param $ow i32) (param $bytes i32) (result f32)
    (local $end i32) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $zero v128)
    (local.set $end (i32.add (local.get $h) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $h) (local.get $end)))
        (local.set $s0 (f32x4.add (local.get $s0)
          (f32x4.mul (f32x4.max (v128.load offset=0 (local.get $h)) (local.get $zero)) (v128.load offset=0 (local.get $ow)))))
        (local.set $s1 (f32x4.add (local.get $s1)
          (f32x4.mul (f32x4.max (v128.load offset=16 (local.get $h)) (local.get $zero)) (v128.load offset=16 (local.get $ow)))))
        (local.set $s2 (f32x4.add (local.get $s2)
          (f32x4.mul (f32x4.max (v128.load offset=32 (local.get $h)) (local.get $zero)) (v128.load offset=32 (local.get $ow)))))
        (local.set $s3 (f32x4.add (local.get $s3)
          (f32x4.mul (f32x4.max (v128.load offset=48 (local.get $h)) (local.get $zero)) (v128.load offset=48 (local.get $ow)))))
        (local.set $h (i32.add (local.get $h) (i32.const 64)))
        (local.set $ow (i32.add (local.get $ow) (i32.const 64)))
        (br $next)))
    (local.set $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1)) (f32x4.add (local.get $s2) (local.get $s3))))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
      (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))

;; y[0 .. bytes) += a · u[0 .. bytes) + c · v[0 .. bytes): two inputs in one pass over y. Per lane
  ;; the same operations in the same order as two $axpy calls ((y + a·u) + c·v), so the same bits.
  (func $axpy2 (param $y i32) (param $u i32) (param $a f32) (param $v i32) (param $c f32) (param $bytes i32)
    (local $end i32) (local $au v128) (local $cv v128)
    (local.set $au (f32x4.splat (local.get $a)))
    (local.set $cv (f32x4.splat (local.get $c)))
    (local.set $end (i32.add (local.get $y) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (v128.store offset=0 (local.get $y)
          (f32x4.add (f32x4.add (v128.load offset=0 (local.get $y)) (f32x4.mul (local.get $au) (v128.load offset=0 (local.get $u))))
            (f32x4.mul (local.get $cv) (v128.load offset=0 (local.get $v)))))
        (v128.store offset=16 (local.get $y)
          (f32x4.add (f32x4.add (v128.load offset=16 (local.get $y)) (f32x4.mul (local.get $au) (v128.load offset=16 (local.get $u))))
            (f32x4.mul (local.get $cv) (v128.load offset=16 (local.get $v)))))
        (v128.store offset=32 (local.get $y)
          (f32x4.add (f32x4.add (v128.load offset=32 (local.get $y)) (f32x4.mul (local.get $au) (v128.load offset=32 (local.get $u))))
            (f32x4.mul (local.get $cv) (v128.load offset=32 (local.get $v)))))
        (v128.store offset=48 (local.get $y)
          (f32x4.add (f32x4.add (v128.load offset=48 (local.get $y)) (f32x4.mul (local.get $au) (v128.load offset=48 (local.get $u))))
            (f32x4.mul (local.get $cv) (v128.load offset=48 (local.get $v)))))
        (local.set $y (i32.add (local.get $y) (i32.const 64)))
        (local.set $u (i32.add (local.get $u) (i32.const 64)))
        (local.set $v (i32.add (local.get $v) (i32.const 64)))
        (br $next))))

  ;; Σ relu(h[u] + a · w[u] + c · v[u]) · ow[u] without writing h + a · w + c · v anywhere: a feature's
  ;; sum with its (at most two) changed inputs. Per lane the same operations in the same order as
  ;; copying h, two $axpy calls and $reluDot (c = 0 and v = w for one changed input: + 0 · w keeps the
  ;; value, and relu makes -0 and +0 alike), so the same bits.
  (func $reluDotDelta (param $h i32) (param $ow i32) (param $bytes i32) (param $w i32) (param $a f32) (param $v i32) (param $c f32) (result f32)
    (local $end i32) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $zero v128) (local $aw v128) (local $cv v128)
    (local.set $aw (f32x4.splat (local.get $a)))
    (local.set $cv (f32x4.splat (local.get $c)))
    (local.set $end (i32.add (local.get $h) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $h) (local.get $end)))
        (local.set $s0 (f32x4.add (local.get $s0)
          (f32x4.mul (f32x4.max
            (f32x4.add (f32x4.add (v128.load offset=0 (local.get $h)) (f32x4.mul (local.get $aw) (v128.load offset=0 (local.get $w))))
              (f32x4.mul (local.get $cv) (v128.load offset=0 (local.get $v))))
            (local.get $zero)) (v128.load offset=0 (local.get $ow)))))
        (local.set $s1 (f32x4.add (local.get $s1)
          (f32x4.mul (f32x4.max
            (f32x4.add (f32x4.add (v128.load offset=16 (local.get $h)) (f32x4.mul (local.get $aw) (v128.load offset=16 (local.get $w))))
              (f32x4.mul (local.get $cv) (v128.load offset=16 (local.get $v))))
            (local.get $zero)) (v128.load offset=16 (local.get $ow)))))
        (local.set $s2 (f32x4.add (local.get $s2)
          (f32x4.mul (f32x4.max
            (f32x4.add (f32x4.add (v128.load offset=32 (local.get $h)) (f32x4.mul (local.get $aw) (v128.load offset=32 (local.get $w))))
              (f32x4.mul (local.get $cv) (v128.load offset=32 (local.get $v))))
            (local.get $zero)) (v128.load offset=32 (local.get $ow)))))
        (local.set $s3 (f32x4.add (local.get $s3)
          (f32x4.mul (f32x4.max
            (f32x4.add (f32x4.add (v128.load offset=48 (local.get $h)) (f32x4.mul (local.get $aw) (v128.load offset=48 (local.get $w))))
              (f32x4.mul (local.get $cv) (v128.load offset=48 (local.get $v))))
            (local.get $zero)) (v128.load offset=48 (local.get $ow)))))
        (local.set $h (i32.add (local.get $h) (i32.const 64)))
        (local.set $w (i32.add (local.get $w) (i32.const 64)))
        (local.set $v (i32.add (local.get $v) (i32.const 64)))
        (local.set $ow (i32.add (local.get $ow) (i32.const 64)))
        (br $next)))
    (local.set $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1)) (f32x4.add (local.get $s2) (local.get $s3))))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
      (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))

;; $reluDotDelta for one changed input: Σ relu(h[u] + a · w[u]) · ow[u]. The same bits as $reluDotDelta
  ;; with c = 0 (adding ±0 to a sum leaves it, or turns -0 into +0, which relu makes alike), with one
  ;; load, multiply and add fewer per lane: a numeric feature's value is one column.
  (func $reluDotDelta1 (param $h i32) (param $ow i32) (param $bytes i32) (param $w i32) (param $a f32) (result f32)
    (local $end i32) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $zero v128) (local $aw v128)
    (local.set $aw (f32x4.splat (local.get $a)))
    (local.set $end (i32.add (local.get $h) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $h) (local.get $end)))
        (local.set $s0 (f32x4.add (local.get $s0)
          (f32x4.mul (f32x4.max
            (f32x4.add (v128.load offset=0 (local.get $h)) (f32x4.mul (local.get $aw) (v128.load offset=0 (local.get $w))))
            (local.get $zero)) (v128.load offset=0 (local.get $ow)))))
        (local.set $s1 (f32x4.add (local.get $s1)
          (f32x4.mul (f32x4.max
            (f32x4.add (v128.load offset=16 (local.get $h)) (f32x4.mul (local.get $aw) (v128.load offset=16 (local.get $w))))
            (local.get $zero)) (v128.load offset=16 (local.get $ow)))))
        (local.set $s2 (f32x4.add (local.get $s2)
          (f32x4.mul (f32x4.max
            (f32x4.add (v128.load offset=32 (local.get $h)) (f32x4.mul (local.get $aw) (v128.load offset=32 (local.get $w))))
            (local.get $zero)) (v128.load offset=32 (local.get $ow)))))
        (local.set $s3 (f32x4.add (local.get $s3)
          (f32x4.mul (f32x4.max
            (f32x4.add (v128.load offset=48 (local.get $h)) (f32x4.mul (local.get $aw) (v128.load offset=48 (local.get $w))))
            (local.get $zero)) (v128.load offset=48 (local.get $ow)))))
        (local.set $h (i32.add (local.get $h) (i32.const 64)))
        (local.set $w (i32.add (local.get $w) (i32.const 64)))
        (local.set $ow (i32.add (local.get $ow) (i32.const 64)))
        (br $next)))
    (local.set $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1)) (f32x4.add (local.get $s2) (local.get $s3))))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
      (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))

  (func (export "impacts")
    (param $n i32) (param $width i32) (param $upad i32) (param $nseg i32)
    (param $w i32) (param $b i32) (param $ow i32) (param $base i32) (param $seg i32)
    (param $x i32) (param $pre i32) (param $acc i32) (param $out i32)
    (local $r i32) (local $i i32) (local $j i32) (local $v f32) (local $row i32) (local $o i32)
    (local $bytes i32) (local $end i32) (local $start i32)
    (local $k i32) (local $v1 f32) (local $c1 i32) (local $v2 f32) (local $c2 i32)
    (local.set $bytes (i32.shl (local.get $upad) (i32.const 2)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $row (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $width)) (i32.const 2))))
        (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $r) (i32.add (local.get $nseg) (i32.const 1))) (i32.const 2))))
        ;; pre = b + Σ x[i] · w[i] over the non-zero inputs, in input order, two inputs a pass
        ;; ($k = 1: input $c1 with value $v1 waits for a partner)
        (memory.copy (local.get $pre) (local.get $b) (local.get $bytes))
        (local.set $i (i32.const 0))
        (local.set $k (i32.const 0))
        (block $inputsDone
          (loop $inputs
            (br_if $inputsDone (i32.ge_u (local.get $i) (local.get $width)))
            (local.set $v (f32.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))
            (if (f32.ne (local.get $v) (f32.const 0))
              (then
                (if (local.get $k)
                  (then
                    (call $axpy2 (local.get $pre)
                      (i32.add (local.get $w) (i32.mul (local.get $c1) (local.get $bytes))) (local.get $v1)
                      (i32.add (local.get $w) (i32.mul (local.get $i) (local.get $bytes))) (local.get $v)
                      (local.get $bytes))
                    (local.set $k (i32.const 0)))
                  (else
                    (local.set $c1 (local.get $i))
                    (local.set $v1 (local.get $v))
                    (local.set $k (i32.const 1))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $inputs)))
        (if (local.get $k)
          (then (call $axpy (local.get $pre) (i32.add (local.get $w) (i32.mul (local.get $c1) (local.get $bytes))) (local.get $v1) (local.get $bytes))))
        (f32.store (local.get $o) (call $reluDot (local.get $pre) (local.get $ow) (local.get $bytes)))
        ;; per feature: the sum of pre + (baseline − x) · w over the feature's columns
        (local.set $j (i32.const 0))
        (block $featuresDone
          (loop $features
            (br_if $featuresDone (i32.ge_u (local.get $j) (local.get $nseg)))
            (local.set $start (i32.load (i32.add (local.get $seg) (i32.shl (local.get $j) (i32.const 3)))))
            (local.set $end (i32.load (i32.add (local.get $seg) (i32.add (i32.shl (local.get $j) (i32.const 3)) (i32.const 4)))))
            ;; the changed columns: $k of them, the first two in ($c1, $v1), ($c2, $v2)
            (local.set $k (i32.const 0))
            (local.set $i (local.get $start))
            (block $scanDone
              (loop $scan
                (br_if $scanDone (i32.ge_u (local.get $i) (local.get $end)))
                (local.set $v
                  (f32.sub
                    (f32.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
                    (f32.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2))))))
                (if (f32.ne (local.get $v) (f32.const 0))
                  (then
                    (if (i32.eqz (local.get $k))
                      (then (local.set $c1 (local.get $i)) (local.set $v1 (local.get $v)))
                      (else (local.set $c2 (local.get $i)) (local.set $v2 (local.get $v))))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $scan)))
            (f32.store
              (i32.add (local.get $o) (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 2)))
              (if (result f32) (i32.eqz (local.get $k))
                ;; at the baseline: exactly the row's own sum
                (then (f32.load (local.get $o)))
                (else (if (result f32) (i32.le_u (local.get $k) (i32.const 2))
                  ;; one or two changed columns (a numeric value and its missing flag, two one-hot slots): fused
                  (then
                    (if (result f32) (i32.eq (local.get $k) (i32.const 1))
                      (then
                        (call $reluDotDelta1 (local.get $pre) (local.get $ow) (local.get $bytes)
                          (i32.add (local.get $w) (i32.mul (local.get $c1) (local.get $bytes))) (local.get $v1)))
                      (else
                        (call $reluDotDelta (local.get $pre) (local.get $ow) (local.get $bytes)
                          (i32.add (local.get $w) (i32.mul (local.get $c1) (local.get $bytes))) (local.get $v1)
                          (i32.add (local.get $w) (i32.mul (local.get $c2) (local.get $bytes))) (local.get $v2)))))
                  ;; more: acc = pre + Σ (baseline − x) · w column by column, then its sum
                  (else
                    (memory.copy (local.get $acc) (local.get $pre) (local.get $bytes))
                    (local.set $i (local.get $start))
                    (block $columnsDone
                      (loop $columns
                        (br_if $columnsDone (i32.ge_u (local.get $i) (local.get $end)))
                        (local.set $v
                          (f32.sub
                            (f32.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
                            (f32.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2))))))
                        (if (f32.ne (local.get $v) (f32.const 0))
                          (then (call $axpy (local.get $acc) (i32.add (local.get $w) (i32.mul (local.get $i) (local.get $bytes))) (local.get $v) (local.get $bytes))))
                        (local.set $i (i32.add (local.get $i) (i32.const 1)))
                        (br $columns)))
                    (call $reluDot (local.get $acc) (local.get $ow) (local.get $bytes)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $features)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows)))))
