// mirrors assembly/channel.ts: claimSend, ch_reserve (with its re-check of closed after the
// claim), ch_commit, signal, claimRecv, ch_take (tombstones, the end-of-stream rule),
// freeSlot (ch_release), ready, ch_arm, ch_disarm, ch_wait, ch_close / channelWakeAll;
// driven as ts/channel.ts send() and recv() drive them
//
// MPMC mode (CAS on tail / head) on a ring of RING = 2 slots, each with its sequence
// number; CAP = 2, or CAP = 1 (F_LIMIT = 1: a sender also needs pos == head). NP producers
// send MSGS = 2 messages each as send() does: ch_reserve, write, ch_commit; on E_AGAIN
// ch_wait(send = 1) and try again. E_CLOSED ends the producer: closed at ch_reserve's first
// check, or at its re-check after the claim, when it publishes a tombstone in the claimed
// slot (ch_commit) and its message counts as not sent. NC consumers receive as recv() does:
// ch_take (it frees and skips tombstones), read, ch_release; on E_AGAIN ch_wait(send = 0)
// and try again. Without a closer each consumer takes NP * MSGS / NC messages; with one,
// consumers receive until E_CLOSED. CLOSER = 1: a closer runs ch_close once every producer
// is done; CLOSER = 2: at any time (producers may be parked on a full ring, claiming, or get
// E_CLOSED). At most MAXTIMEOUTS waits time out (a parked timeout, or the deadline found
// expired after a wake or a not-equal return): ch_disarm, and the caller tries again (one
// that gave up for good would leave the others legitimately blocked).
//
// Each atomic op is one step, with the local work after it, except for these reductions
// (each keeps every outcome of the real interleavings):
//   - the notEmpty / notFull sequence words: only "did it move since I read it" matters
//     (no ABA: they are 32-bit), so a process's snap is the side whose sequence it read
//     (A_NE / A_NF), STALE once that side was bumped since (its park returns NOT_EQUAL), 0
//     when it holds no value;
//   - signal's and channelWakeAll's add + notify are one step: a waiter that reads the new
//     value between them and parks is woken by the notify at once and re-arms, as it would
//     after reading the old value and getting NOT_EQUAL at the park;
//   - the gap inside ch_arm with registered = 1 (sub, then add), and the one between a
//     timeout and its ch_disarm, are left out: a signal that finds the count lower there
//     (0) could only skip bumping a sequence nobody holds and waking nobody (the only
//     registered process, this one, holds no value and is not parked);
//   - a slot's payload is written with its commit and read with its claim (nobody else
//     touches a claimed slot); a freed slot's payload is cleared; a sender's re-check that
//     finds closed set is one step with its tombstone's commit (closed stays set); without
//     a closer the loads of `closed` (always 0), and ch_take's of head and tail (they only
//     matter once closed), are left out;
//   - left out: the spinWhile before arming (returning OK early only makes the caller try
//     again), ready() after ch_disarm (it only picks OK or E_TIMEOUT, and the caller tries
//     again either way), the tombstone of a failed heap allocation, heap messages, the
//     urgent lane, SPSC mode, dead peers, objRemoved, the rendezvous mode.
//
// Checks:
//   - no lost wake-up / deadlock: every process is bounded, so anyone left parked (a
//     consumer short of its quota, a producer with unsent messages) when the others are
//     done is an invalid end state
//   - every message is taken at most once and every message whose send returned OK is
//     taken (no loss, no duplication; a tombstone is never taken as a message); each
//     producer's messages are taken in order (each consumer claims increasing positions,
//     so also in order per consumer)
//   - at most CAP messages are claimed and not yet taken (tail - head <= CAP)
//   - close: receivers drain what was sent, then get E_CLOSED (a consumer still parked after
//     the close is an invalid end state), also when the close races with sends (CLOSER = 2);
//     a sender parked on a full ring when the channel closes wakes and gets E_CLOSED (no
//     producer is left parked; witness: it happens); a sender that finds closed after its
//     claim leaves a tombstone that a consumer skips (witness: it happens)
//   - timeouts: a waiter that times out disarms and the protocol stays correct (the
//     -timeouts runs: two senders, or two receivers, on the same side)
//   - when nothing can move any more, nobody is parked while its operation could proceed
//     (the Monitor); PARK_MAY_END with CQUOTA (consumers take fewer than are sent): a
//     producer may then stay parked on a full ring
// The runs with two producers and two consumers cost the most (a few seconds each), so
// timeouts and close-at-any-time are checked with one side doubled (close-any with two of
// each, no timeouts: 49M states, two minutes, no error).
//
// Bugs this model found, fixed (now mutants): BUG_READY_STALE (a receiver in ch_wait that
// loaded head before another receiver took that slot parked past a published message, as
// seq != head + 1), BUG_READY_SEND_STALE (the same for a sender and tail: parked with room
// in the ring), BUG_NO_CLOSED_RECHECK (a send that loaded closed = 0, then claimed after a
// receiver saw the end of stream, returned OK for a message nobody takes),
// BUG_TAKE_CLOSED_LAST (ch_take loaded head and tail, then closed: a receiver that found
// the ring drained, then closed, missed a message sent and committed in between).
//
// run: mpmc spin=-DMAXTIMEOUTS=0 cc=-DSAFETY
// run: partial-drain spin=-DNC=1 spin=-DCQUOTA=2 spin=-DPARK_MAY_END spin=-DMAXTIMEOUTS=2 cc=-DSAFETY
// run: close-any-spmc-timeouts spin=-DCLOSER=2 spin=-DNP=1 spin=-DMAXTIMEOUTS=1 cc=-DSAFETY
// run: close-any-mpsc-timeouts spin=-DCLOSER=2 spin=-DNC=1 spin=-DMAXTIMEOUTS=1 cc=-DSAFETY
// run: mpsc-timeouts spin=-DNC=1 spin=-DMAXTIMEOUTS=3 cc=-DSAFETY
// run: spmc-timeouts spin=-DNP=1 spin=-DMAXTIMEOUTS=3 cc=-DSAFETY
// run: cap1 spin=-DCAP=1 spin=-DMAXTIMEOUTS=0 cc=-DSAFETY
// run: cap1-mpsc-timeouts spin=-DCAP=1 spin=-DNC=1 spin=-DMAXTIMEOUTS=2 cc=-DSAFETY
// run: close-after spin=-DCLOSER=1 spin=-DMAXTIMEOUTS=0 cc=-DSAFETY
// run: sender-closed-witness spin=-DCLOSER=2 spin=-DNC=1 spin=-DMAXTIMEOUTS=0 spin=-DWITNESS_SENDER_CLOSED cc=-DSAFETY expect=reach
// run: tombstone-witness spin=-DCLOSER=2 spin=-DNC=1 spin=-DMAXTIMEOUTS=0 spin=-DWITNESS_TOMBSTONE cc=-DSAFETY expect=reach
// mutant: BUG_COMMIT_NO_SIGNAL ch_commit publishes without signal(notEmpty)
// mutant: BUG_SIGNAL_NO_BUMP signal wakes without bumping the side's sequence
// mutant: BUG_ARM_SEQ_LATE ch_arm reads the sequence after re-checking ready
// mutant: BUG_ARM_NO_REGISTER ch_arm does not count itself as a waiter (nor uncount)
// mutant: BUG_FREE_NO_SIGNAL freeSlot frees without signal(notFull)
// mutant: BUG_CLOSE_NO_WAKE ch_close only sets closed (no channelWakeAll)
// mutant: BUG_READY_STALE ready() compares seq == head + 1 only (a receiver parks past a message)
// mutant: BUG_READY_SEND_STALE ready() compares seq == tail only (a sender parks with room)
// mutant: BUG_NO_CLOSED_RECHECK ch_reserve does not re-check closed after its claim
// mutant: BUG_TOMBSTONE_TAKEN ch_take returns a tombstone as a message
// mutant: BUG_TAKE_CLOSED_LAST ch_take loads head and tail, then closed (the end of stream may pass a message)

#ifndef NP
#define NP 2
#endif
#ifndef NC
#define NC 2
#endif
#ifndef CAP
#define CAP 2
#endif
#ifndef CLOSER
#define CLOSER 0
#endif
#ifndef MAXTIMEOUTS
#define MAXTIMEOUTS 1
#endif

#define RING 2
#define MSGS 2
#define NMSG (NP * MSGS)
#define TOMB 255                  /* a tombstone's payload (len = TOMBSTONE) */
#ifdef CQUOTA
#define QUOTA CQUOTA              /* consumers take fewer: producers may stay parked (on a full ring) */
#else
#define QUOTA (NMSG / NC)
#endif
#if CLOSER
#define NPROC (NP + NC + 2)       /* + closer + monitor */
#define NWORK (NP + NC + 1)
#else
#define NPROC (NP + NC + 1)       /* + monitor */
#define NWORK (NP + NC)
#endif

/* a side: 0 receive (notEmpty), 1 send (notFull); A = side + 1 names its sequence word */
#define A_NE 1
#define A_NF 2
#define STALE 3

byte ht[2];                       /* ht[0] = head (+128), ht[1] = tail (+64) */
#define head ht[0]
#define tail ht[1]
byte waiting[2];                  /* +196 receivers waiting, +260 senders waiting */
byte snap[NPROC];                 /* +192 notEmpty / +256 notFull sequence: see above */
byte sq[RING];                    /* slot seq minus the slot's index (seq starts at the index) */
#define SLOTSEQ(i) (sq[i] + (i))
#define SET_SLOTSEQ(i, v) sq[i] = (v) - (i)
byte data[RING];                  /* slot payload: a message id, or TOMB */
bit closed = 0;                   /* +20 */

byte waitq[NPROC];                /* the word a process is parked on, 0: not parked */
byte timeouts = MAXTIMEOUTS;

/* ghosts */
bit sent[NMSG + 1];               /* send succeeded (committed, OK) */
bit recvd[NMSG + 1];              /* taken by a consumer */
byte pdone = 0;                   /* producers done */
byte fin = 0;                     /* workers done */
byte wi = 0;                      /* scratch index of bump / wake_all */

/* atomic.add(seq of A, 1): every value read of it is now out of date */
inline bump(A) {
  d_step {
    wi = 0;
    do
    :: wi < NPROC -> if :: snap[wi] == A -> snap[wi] = STALE :: else -> skip fi; wi++
    :: else -> break
    od;
    wi = 0
  }
}

/* atomic.notify(seq of A, i32.MAX_VALUE) */
inline wake_all(A) {
  d_step {
    wi = 0;
    do
    :: wi < NPROC -> if :: waitq[wi] == A -> waitq[wi] = 0 :: else -> skip fi; wi++
    :: else -> break
    od;
    wi = 0
  }
}

/* signal(obj, seqField, waitingField): load waiting; add and notify (one step, see above) */
inline signal(SIDE) {
  if
  :: waiting[SIDE] != 0 ->
     d_step {
#ifndef BUG_SIGNAL_NO_BUMP
       bump(SIDE + 1);
#endif
       wake_all(SIDE + 1)
     }
  :: else -> skip
  fi
}

#ifdef BUG_ARM_NO_REGISTER
#define REGISTER(SIDE) skip
#define UNREGISTER(SIDE) skip
#else
#define REGISTER(SIDE) waiting[SIDE]++
#define UNREGISTER(SIDE) waiting[SIDE]--
#endif

/* claimSend (after its load of tail into pos): got = 1 with pos claimed, 0 when full */
inline claimSendFrom() {
  do
  :: atomic {
       d = SLOTSEQ(pos % RING) - pos;
       if
       :: d < 0 -> d = 0; got = 0; break
       :: else -> skip
       fi
     }
     if
#if CAP == 1
     :: atomic { d == 0 && pos != head -> d = 0; got = 0; break }
     :: d == 0 && pos == head ->
        atomic {   /* CAS tail pos -> pos + 1 */
          d = 0;
          if
          :: tail == pos -> tail = pos + 1; got = 1; assert(tail - head <= CAP); break
          :: else -> pos = tail
          fi
        }
#else
     :: atomic {   /* CAS tail pos -> pos + 1 */
          d == 0 ->
          d = 0;
          if
          :: tail == pos -> tail = pos + 1; got = 1; assert(tail - head <= CAP); break
          :: else -> pos = tail
          fi
        }
#endif
     :: atomic { d > 0 -> d = 0; pos = tail }
     fi
  od
}

/* ch_take skips tombstones (BUG_TOMBSTONE_TAKEN: returns one as a message) */
#ifdef BUG_TOMBSTONE_TAKEN
#define IS_TOMB(m) 0
#else
#define IS_TOMB(m) ((m) == TOMB)
#endif
#ifdef WITNESS_TOMBSTONE
#define TOMB_TAKEN assert(false)  /* a consumer skips a tombstone */
#else
#define TOMB_TAKEN skip
#endif

/* claimRecv (after its load of head into pos): got = 1 with pos claimed and its message (or
 * TOMB) in msg, 0 when empty */
inline claimRecvFrom() {
  do
  :: atomic {
       d = SLOTSEQ(pos % RING) - (pos + 1);
       if
       :: d < 0 -> d = 0; got = 0; break
       :: else -> skip
       fi
     }
     if
     :: atomic {   /* CAS head pos -> pos + 1 */
          d == 0 ->
          d = 0;
          if
          :: head == pos ->
             head = pos + 1; got = 1; msg = data[pos % RING];
             if
             :: IS_TOMB(msg) -> TOMB_TAKEN
             :: else ->
                /* once, and after the producer's previous message (each consumer claims
                 * increasing positions, so this is per-producer order per consumer too) */
                assert(msg >= 1 && msg <= NMSG && sent[msg] && !recvd[msg]);
                assert((msg - 1) % MSGS == 0 || recvd[msg - 1]);
                recvd[msg] = 1
             fi;
             break
          :: else -> pos = head
          fi
        }
     :: atomic { d > 0 -> d = 0; pos = head }
     fi
  od
}

/* ready(obj, send): sets rdy. A slot whose seq is already past pos (another thread moved
 * head / tail meanwhile) counts as ready, and the caller tries again; the mutants compare
 * for equality, as the code once did. Closed: ready for a sender (E_CLOSED); for a
 * receiver only with a message at head or the ring drained (head == tail), as ch_take
 * sees the end of stream: closed is loaded first, then head, its slot's seq, then tail (a
 * "yes" that the next ch_take turns into E_AGAIN would have the caller retry without
 * waiting, for ever if a corrupted index kept it so). */
#ifdef BUG_READY_STALE
#define READY_RECV(p) (SLOTSEQ((p) % RING) == (p) + 1)
#else
#define READY_RECV(p) (SLOTSEQ((p) % RING) >= (p) + 1)
#endif
#ifdef BUG_READY_SEND_STALE
#define READY_SEND(p) (SLOTSEQ((p) % RING) == (p))
#else
#define READY_SEND(p) (SLOTSEQ((p) % RING) >= (p))
#endif
#define READY(SIDE, p) ((SIDE) == 0 && READY_RECV(p) || (SIDE) == 1 && READY_SEND(p))
inline ready(SIDE) {
#if CLOSER
  if
  :: atomic { closed && SIDE == 1 -> rdy = 1 }
  :: atomic { closed && SIDE == 0 -> p2 = head }
     if
     :: atomic { READY_RECV(p2) -> rdy = 1; p2 = 0 }
     :: atomic { !READY_RECV(p2) -> skip }
        atomic { rdy = (p2 == tail); p2 = 0 }   /* drained: E_CLOSED */
     fi
  :: else ->
#endif
     p2 = ht[SIDE];
#if CAP == 1
     if
     :: atomic { SIDE == 1 && p2 != head -> rdy = 0; p2 = 0 }
     :: SIDE == 1 && p2 == head -> atomic { rdy = READY(SIDE, p2); p2 = 0 }
     :: atomic { SIDE == 0 -> rdy = READY(SIDE, p2); p2 = 0 }
     fi
#else
     atomic { rdy = READY(SIDE, p2); p2 = 0 }
#endif
#if CLOSER
  fi
#endif
}

#ifdef BUG_ARM_SEQ_LATE
#define SNAP_EARLY(SIDE) skip
#define SNAP_LATE(SIDE) snap[_pid] = SIDE + 1
#else
#define SNAP_EARLY(SIDE) snap[_pid] = SIDE + 1
#define SNAP_LATE(SIDE) skip
#endif

#ifdef WITNESS_SENDER_CLOSED
#define WOKEN woken = closed      /* woken after the close */
#else
#define WOKEN skip
#endif

/* ch_wait(obj, send, timeout), after ch_arm's first add (the caller's step): ch_arm until
 * OK, parking in between; on a timeout ch_disarm. The caller tries again either way. */
inline chWaitRegistered(SIDE) {
  SNAP_EARLY(SIDE);               /* ch_arm: read the side's sequence */
rearmed:
  ready(SIDE);                    /* ch_arm: try once more */
  SNAP_LATE(SIDE);
  if
  :: atomic { rdy -> rdy = 0; snap[_pid] = 0; UNREGISTER(SIDE) }   /* OK */
  :: atomic { !rdy && snap[_pid] != SIDE + 1 -> snap[_pid] = 0 }    /* park: NOT_EQUAL */
     SNAP_EARLY(SIDE);            /* ch_arm again */
     goto rearmed
  :: atomic {                     /* NOT_EQUAL, then expired(deadline): ch_disarm */
       !rdy && snap[_pid] != SIDE + 1 && timeouts > 0 -> snap[_pid] = 0; timeouts--; UNREGISTER(SIDE)
     }
  :: atomic { !rdy && snap[_pid] == SIDE + 1 -> snap[_pid] = 0; waitq[_pid] = SIDE + 1 }
#ifdef PARK_MAY_END
end_parked:                       /* (may stay parked: see the Monitor) */
#endif
     if                           /* parked */
     :: atomic { waitq[_pid] == 0 -> WOKEN; SNAP_EARLY(SIDE) }           /* woken: ch_arm again */
        goto rearmed
     :: atomic { waitq[_pid] == 0 && timeouts > 0 -> WOKEN; timeouts--; UNREGISTER(SIDE) }  /* woken, expired */
     :: atomic {                                                          /* TIMED_OUT */
          waitq[_pid] != 0 && timeouts > 0 -> waitq[_pid] = 0; timeouts--; UNREGISTER(SIDE)
        }
     fi
  fi
}

/* write, ch_commit: seq = pos + 1; the send returns OK */
#ifdef WITNESS_SENDER_CLOSED
#define COMMIT_WITNESS ; woken = 0
#else
#define COMMIT_WITNESS
#endif
#define COMMIT \
  got = 0; data[pos % RING] = msg; SET_SLOTSEQ(pos % RING, pos + 1); sent[msg] = 1; \
  pos = 0; msg++ COMMIT_WITNESS

active [NP] proctype Producer() {
  byte msg = _pid * MSGS + 1, pos, p2;
  short d;
  bit got, rdy;
#ifdef WITNESS_SENDER_CLOSED
  bit woken;
#endif

  do
  :: atomic { msg > (_pid + 1) * MSGS -> break }
  :: /* ch_reserve(obj, len): isClosed */
     atomic {
       msg <= (_pid + 1) * MSGS && closed ->     /* E_CLOSED */
#ifdef WITNESS_SENDER_CLOSED
       assert(!woken);            /* parked on a full ring, woken by the close: E_CLOSED */
#endif
       break
     }
#if CLOSER
  :: msg <= (_pid + 1) * MSGS && !closed ->
     pos = tail;
#else
  :: atomic { msg <= (_pid + 1) * MSGS -> pos = tail }   /* (never closed) */
#endif
     claimSendFrom();
     if
#if CLOSER && !defined(BUG_NO_CLOSED_RECHECK)
     :: atomic {   /* closed after the claim: ch_commit a tombstone (seq = pos + 1), E_CLOSED */
          got && closed ->
          got = 0; data[pos % RING] = TOMB; SET_SLOTSEQ(pos % RING, pos + 1); pos = 0
        }
        signal(0);
        break
     :: atomic { got && !closed -> skip }   /* (the load of closed: 0) */
        atomic { COMMIT }
#else
     :: atomic { got -> COMMIT }
#endif
#ifndef BUG_COMMIT_NO_SIGNAL
        signal(0)
#endif
     :: atomic { !got -> pos = 0; REGISTER(1) }   /* E_AGAIN; ch_wait: ch_arm counts me */
        chWaitRegistered(1)
     fi
  od;
  atomic { pdone++; fin++ }
}

active [NC] proctype Consumer() {
  byte n = 0, msg, pos, p2, h;
  short d;
  bit got, rdy;
#ifdef WITNESS_SENDER_CLOSED
  bit woken;                      /* (unused by consumers) */
#endif

  do
#if !CLOSER
  :: atomic { n == QUOTA -> break }
  :: atomic { n < QUOTA -> pos = head }   /* ch_take(obj): claimRecv */
#else
  :: pos = head;                          /* ch_take(obj): claimRecv */
#endif
     claimRecvFrom();
     if
     :: atomic {   /* read the message (or skip the tombstone), then ch_release: freeSlot,
                    * seq = pos + ring */
          got ->
          got = 0;
#if !CLOSER
          n++;                    /* (no tombstones without a close) */
#endif
          msg = 0;
          SET_SLOTSEQ(pos % RING, pos + RING);
          data[pos % RING] = 0;   /* (nobody reads a free slot's payload) */
          pos = 0
        }
#ifndef BUG_FREE_NO_SIGNAL
        signal(1)
#endif
#if CLOSER
#ifndef BUG_TAKE_CLOSED_LAST
     :: atomic { !got -> pos = 0 }
        if                                       /* closed, then drained = head == tail? */
        :: atomic { closed -> skip }
           h = head;
           if
           :: atomic { h == tail -> h = 0; break }           /* E_CLOSED */
           :: atomic { h != tail -> h = 0 }                  /* E_AGAIN */
           fi
        :: atomic { !closed -> skip }            /* E_AGAIN */
        fi;
        REGISTER(0);                             /* ch_wait: ch_arm counts me */
#else
     :: atomic { !got -> pos = 0; h = head }   /* BUG: drained = head == tail, then isClosed */
        if
        :: atomic { h == tail -> h = 0 }
           if
           :: atomic { closed -> break }                     /* E_CLOSED */
           :: atomic { !closed -> skip }                     /* E_AGAIN */
           fi
        :: atomic { h != tail -> h = 0 }                     /* E_AGAIN */
        fi;
        REGISTER(0);                                         /* ch_wait: ch_arm counts me */
#endif
#else
     :: atomic { !got -> pos = 0; REGISTER(0) } /* E_AGAIN (never closed); ch_wait: ch_arm counts me */
#endif
        chWaitRegistered(0)
     fi
  od;
  fin++
}

#if CLOSER
active proctype Closer() {
#if CLOSER == 1
  pdone == NP;
#endif
  /* ch_close(obj) */
  closed = 1;
#ifndef BUG_CLOSE_NO_WAKE
  /* channelWakeAll(obj): add and notify notEmpty, then notFull */
  d_step { bump(A_NE); wake_all(A_NE) }
  d_step { bump(A_NF); wake_all(A_NF) }
#endif
  fin++
}
#endif

/* When nothing can move any more: nobody is parked while its operation could proceed (a
 * free slot at tail for a sender, a published message at head for a receiver, closed for
 * a sender, closed and drained for a receiver), and once everyone is done, every message
 * sent was taken (at most once: claimRecvFrom). */
#define CAN_SEND (closed || SLOTSEQ(tail % RING) == tail && (CAP != 1 || tail == head))
#define CAN_RECV (closed && head == tail || SLOTSEQ(head % RING) == head + 1)
active proctype Monitor() {
  byte m = 1;
  timeout ->
  d_step {
    do
    :: m < NPROC ->
       assert(waitq[m] != A_NF || !CAN_SEND);
       assert(waitq[m] != A_NE || !CAN_RECV);
       m++
    :: else -> break
    od;
    assert(waitq[0] != A_NF || !CAN_SEND);
    assert(waitq[0] != A_NE || !CAN_RECV);
    m = 1
  }
  if
  :: fin == NWORK ->
     do
     :: m > NMSG -> break
     :: else ->
#ifdef CQUOTA
        assert(sent[m] || !recvd[m]);          /* consumers leave some */
#else
        assert(recvd[m] == sent[m]);
#endif
        m++
     od
  :: else -> skip                 /* someone is stuck: an invalid end state, unless PARK_MAY_END */
  fi
}
