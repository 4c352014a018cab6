// mirrors assembly/semaphore.ts (strong/fair kind): grant, unlinkNode, fairBegin,
// nodeStep, fairGiveUp, release (fair branch), acquire (fair branch)
//
// max = 2 permits, all free at first. Process 0 acquires 2 and releases 2, process 1
// acquires 1 and releases 1, twice each; process 2 acquires 2, releases 1 and keeps the
// other (so a request may legitimately stay queued for good). At most MAXTIMEOUTS waits time out
// (a parked timeout, or the deadline found expired), which runs fairGiveUp. The internal
// lock (lock.ts, Drepper's mutex) is abstracted to one atomic test-and-set that blocks
// while held; what it guards (count, head, tail, the nodes' next/need) is then touched in
// d_steps, while node.granted, which the waiter reads without the lock, gets its own steps
// (store, then notify). Node of process p = p + 1; its granted word is futex address p + 1.
//
// Checks:
//   - 0 <= count <= max, count + permits held (granted ones included) == max
//   - FIFO: permits go out in request (enqueue) order: a grant goes to the earliest
//     waiting request, a fast-path take only happens with nobody queued; so a large
//     request at the head holds back later small ones
//   - no lost wake-up / grant: when nothing can move any more (the Monitor's `timeout`), no
//     process is parked on a granted node, nor at the head of the queue with its need
//     free; parking is a valid end state only then (end label), blocking anywhere else
//     (e.g. on the internal lock) is an invalid end state
//   - the hold-back case is reachable (witness run: pan must find a grant that stops at a
//     head needing more than the free permits while the request behind it would fit)
//
// run: safety cc=-DSAFETY
// run: holdback-witness spin=-DWITNESS_HOLDBACK cc=-DSAFETY expect=reach
// mutant: BUG_GRANT_SKIPS_HEAD grant hands permits to any queued request that fits
// mutant: BUG_BARGE fairBegin's fast path ignores the queue
// mutant: BUG_GIVEUP_NO_GRANT fairGiveUp unlinks the head without granting the next
// mutant: BUG_UNLINK_KEEPS_TAIL unlinkNode does not fix the tail
// mutant: BUG_GRANT_NO_WAKE grant stores GRANTED without a notify

#define N 3
#define ITERS 2
#define MAX 2
#ifndef MAXTIMEOUTS
#define MAXTIMEOUTS 2
#endif

#define WAITING 0
#define GRANTED 1

#define WAITED 0
#define NOT_EQUAL 1
#define TIMED_OUT 2

#define OK 0
#define E_TIMEOUT 2

byte count = MAX;
bit ilock = 0;                    /* the internal lock, abstracted */
byte head = 0, tail = 0;
byte next[N + 1], nneed[N + 1];
bit granted[N + 1];
byte waitq[N];
byte timeouts = MAXTIMEOUTS;

/* ghosts */
byte held = 0;                    /* permits held by the processes */
byte seqc = 0;                    /* enqueue counter */
byte enq[N + 1];                  /* enqueue number of each waiting request, 0 = not waiting */

#define INVARIANT assert(count <= MAX && count + held == MAX)

inline lockAcquire() { atomic { ilock == 0 -> ilock = 1 } }
inline lockRelease() { ilock = 0 }

inline park(A, WORD, EXPECTED) {
  atomic {
    if
    :: (WORD) != (EXPECTED) -> r = NOT_EQUAL
    :: else -> waitq[_pid] = A; r = WAITED
    fi
  }
  if
  :: r == WAITED ->
end_parked:
     if
     :: waitq[_pid] == 0 -> skip
     :: atomic { timeouts > 0 && waitq[_pid] != 0 -> waitq[_pid] = 0; timeouts--; r = TIMED_OUT }
     fi
  :: else -> skip
  fi
}

/* notify(node.granted, 1): only the node's owner parks there */
inline wakeNode(X) {
#ifndef BUG_GRANT_NO_WAKE
  atomic { if :: waitq[(X) - 1] == (X) -> waitq[(X) - 1] = 0 :: else -> skip fi }
#else
  skip
#endif
}

/* FIFO: request X gets its permits while no earlier request waits */
#define FIFO_OK(X) ((enq[1] == 0 || enq[1] >= enq[X]) && (enq[2] == 0 || enq[2] >= enq[X]) && (enq[3] == 0 || enq[3] >= enq[X]))

/* grant(obj), under the lock. Locals h, c, x. */
inline grant() {
  d_step { h = head; c = count }
  do
  :: atomic {   /* lock-protected fields only */
       if
       :: h == 0 -> break
#ifdef BUG_GRANT_SKIPS_HEAD
       :: h != 0 && nneed[h] > c && next[h] != 0 && nneed[next[h]] <= c ->
          /* skip the head: grant the next one */
          x = next[h]; next[h] = next[x]; if :: tail == x -> tail = h :: else -> skip fi;
          c = c - nneed[x]; held = held + nneed[x]; assert(FIFO_OK(x)); enq[x] = 0; h = x
#endif
       :: h != 0 && nneed[h] > c ->
#ifdef WITNESS_HOLDBACK
          assert(!(next[h] != 0 && nneed[next[h]] <= c));
#endif
          break
       :: else ->
          c = c - nneed[h]; held = held + nneed[h];   /* the permits are the waiter's now */
          assert(FIFO_OK(h)); enq[h] = 0;
          x = next[h];
          head = x;
          if :: x == 0 -> tail = 0 :: else -> skip fi
       fi
     }
     granted[h] = GRANTED;          /* atomic.store(head.granted, GRANTED) */
     wakeNode(h);
#ifdef BUG_GRANT_SKIPS_HEAD
     d_step { h = head; x = 0 }
#else
     d_step { h = x; x = 0 }
#endif
  od;
  atomic { count = c; c = 0; h = 0; INVARIANT }
}

/* unlinkNode(obj, node), under the lock: sets washead */
inline unlinkNode(NODE) {
  d_step {
    prv = 0; cur = head;
    do
    :: cur != 0 && cur != NODE -> prv = cur; cur = next[cur]
    :: else -> break
    od;
    if
    :: cur == 0 -> washead = 0
    :: else ->
       if :: prv == 0 -> head = next[NODE] :: else -> next[prv] = next[NODE] fi;
#ifndef BUG_UNLINK_KEEPS_TAIL
       if :: tail == NODE -> tail = prv :: else -> skip fi;
#endif
       washead = (prv == 0)
    fi;
    prv = 0; cur = 0
  }
}

active [N] proctype P() {
  byte me = _pid + 1;               /* this process's node */
  byte n = (_pid == 1 -> 1 : 2);
  byte r, h, c, x, prv, cur, iter = 0;
  bit g;
  bool washead, got;

  do
  :: iter == ITERS || (_pid == 2 && iter == 1) -> break
  :: else ->
     /* ---- fairBegin(obj, n, queue = true) ---- */
     lockAcquire();
     d_step {
#ifdef BUG_BARGE
       if
       :: count >= n ->
#else
       if
       :: head == 0 && count >= n ->
#endif
          count = count - n; held = held + n; INVARIANT;
          assert(enq[1] == 0 && enq[2] == 0 && enq[3] == 0);   /* nobody queued */
          got = 1
       :: else ->
          next[me] = 0; nneed[me] = n;
          seqc++; enq[me] = seqc;
          if :: tail == 0 -> head = me :: else -> next[tail] = me fi;
          tail = me;
          got = 0
       fi
     }
     granted[me] = WAITING;    /* (in the source the store precedes the link; nobody looks before the unlock) */
     lockRelease();
     if
     :: got -> goto acquired
     :: else -> skip
     fi;
     /* ---- acquire: wait on node.granted ---- */
     do
     :: park(me, granted[me], WAITING);
        if
        :: r == TIMED_OUT -> skip
        :: atomic { r != TIMED_OUT && timeouts > 0 -> timeouts-- }   /* expired(deadline) */
        :: r != TIMED_OUT -> goto nodestep
        fi;
        if
        :: granted[me] == WAITING ->
           /* ---- fairGiveUp(obj, node) ---- */
           lockAcquire();
           g = granted[me];
           if
           :: g == WAITING ->
              unlinkNode(me);
              enq[me] = 0;
#ifndef BUG_GIVEUP_NO_GRANT
              if :: washead -> grant() :: else -> skip fi
#endif
           :: else -> skip
           fi;
           washead = 0;
           lockRelease();
           got = (g == GRANTED);
           g = 0;
           goto acquired
        :: else -> skip
        fi;
nodestep:
        r = 0;
        /* ---- nodeStep(node) ---- */
        if
        :: granted[me] == GRANTED -> got = 1; break
        :: else -> skip
        fi
     od;
acquired:
     r = 0;
     if
     :: got ->
        got = 0;
        if :: _pid == 2 -> n = 1 :: else -> skip fi;   /* process 2 keeps one */
        /* ---- release(obj, n), fair branch ---- */
        lockAcquire();
        d_step {
          assert(n <= MAX - count);        /* E_INVAL cannot happen: we release what we hold */
          count = count + n; held = held - n
        }
        grant();
        lockRelease()
     :: else -> skip                       /* E_TIMEOUT */
     fi;
     iter++
  od
}

/* At a final state (nothing can move): nobody is parked on a granted node, or at the head
 * of the queue while the free permits would satisfy it. */
#define STUCK(p) (waitq[p] != 0 && (granted[p + 1] == GRANTED || (head == p + 1 && nneed[p + 1] <= count)))
active proctype Monitor() {
  timeout -> assert(!STUCK(0) && !STUCK(1) && !STUCK(2))
}
