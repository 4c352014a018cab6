// mirrors assembly/peterson.ts: peterson_begin, peterson_step, peterson_lock,
// peterson_unlock, mayEnter; and assembly/eventcount.ts: ecSeq, ecPrepare, ecSignal, ecWait
//
// Two parties, each locks and unlocks ITERS (3) times. At most MAXTIMEOUTS waits time out (a
// parked timeout, or the deadline found expired): ecWait reports TIMED_OUT when the
// sequence has not moved, and peterson_lock then gives up (peterson_unlock) unless it may
// enter after all. The eventcount word is seq << 1 | WAITERS. Each atomic op is one step;
// the spinWhile at the top of ecWait only re-reads and is left out.
//
// Checks:
//   - mutual exclusion
//   - no deadlock / lost wake-up: both parties are bounded, so a party still parked on the
//     eventcount when the other is done is an invalid end state
//
// run: safety cc=-DSAFETY
// mutant: BUG_NO_TURN lock does not yield the turn
// mutant: BUG_BEGIN_NO_SIGNAL peterson_begin changes flag and turn without a signal
// mutant: BUG_UNLOCK_NO_SIGNAL peterson_unlock clears the flag without a signal
// mutant: BUG_SIGNAL_NO_NOTIFY ecSignal bumps the sequence but never notifies
// mutant: BUG_PREPARE_NO_BIT ecPrepare arms the park without setting the waiters bit
// mutant: BUG_SEEN_AFTER_CHECK the waiter reads the sequence after checking mayEnter

#ifndef ITERS
#define ITERS 3
#endif
#ifndef MAXTIMEOUTS
#define MAXTIMEOUTS 2
#endif

#define A_EC 1
#define WAITERS 1

#define WAITED 0
#define NOT_EQUAL 1
#define TIMED_OUT 2

#define OK 0
#define E_AGAIN 1
#define E_TIMEOUT 2

bit flag[2];
bit turn = 0;
byte ec = 0;                      /* eventcount word: seq << 1 | WAITERS */
byte waitq[2];
byte timeouts = MAXTIMEOUTS;
byte incs = 0;

inline park(A, WORD, EXPECTED) {
  atomic {
    if
    :: (WORD) != (EXPECTED) -> r = NOT_EQUAL
    :: else -> waitq[_pid] = A; r = WAITED
    fi
  }
  if
  :: r == WAITED ->
     if
     :: waitq[_pid] == 0 -> skip
     :: atomic { timeouts > 0 && waitq[_pid] != 0 -> waitq[_pid] = 0; timeouts--; r = TIMED_OUT }
     fi
  :: else -> skip
  fi
}

/* ecSignal(addr): old = add 2; if the bit was set: clear it, notify all */
inline ecSignal() {
  atomic { old = ec; ec = ec + 2 }
#ifndef BUG_SIGNAL_NO_NOTIFY
  if
  :: (old & WAITERS) != 0 ->
     ec = ec & ~WAITERS;
     d_step {
       if :: waitq[0] == A_EC -> waitq[0] = 0 :: else -> skip fi;
       if :: waitq[1] == A_EC -> waitq[1] = 0 :: else -> skip fi
     }
  :: else -> skip
  fi;
#endif
  old = 0
}

/* mayEnter(obj, me): interested[other] == 0 || turn != other (two loads, short-circuit); sets may */
inline mayEnter() {
  atomic {
    if
    :: flag[1 - me] == 0 -> may = 1
    :: else -> may = 0
    fi
  }
  if
  :: !may -> atomic { may = (turn != 1 - me) }
  :: else -> skip
  fi
}

/* ecPrepare(addr, seen): sets v = the word to park on, or v = 255 (-1) when seq moved */
inline ecPrepare() {
  do
  :: atomic {
       v = ec;
       if
       :: (v >> 1) != seen -> v = 255; break
       :: (v >> 1) == seen && (v & WAITERS) != 0 -> break
       :: else -> skip
       fi
     }
#ifdef BUG_PREPARE_NO_BIT
     break
#else
     atomic {
       if
       :: ec == v -> ec = v | WAITERS; v = v | WAITERS; break
       :: else -> skip
       fi
     }
#endif
  od
}

active [2] proctype P() {
  byte me = _pid;
  byte iter = 0, seen, v, old, r, rc;
  bit may;

  do
  :: iter == ITERS -> break
  :: else ->
     /* ---- peterson_begin(obj, me) ---- */
     flag[me] = 1;                           /* CAS 0 -> 1 (the flag is ours, it is 0) */
#ifndef BUG_NO_TURN
     turn = 1 - me;
#endif
#ifndef BUG_BEGIN_NO_SIGNAL
     ecSignal();
#endif
     /* ---- peterson_step(obj, me) ---- */
     do
     :: seen = ec >> 1;
        mayEnter();
        if
        :: may -> rc = OK; break
        :: else -> skip
        fi;
        ecPrepare();
        if
        :: v != 255 -> rc = E_AGAIN; break   /* armWait(ec, v) */
        :: else -> skip
        fi
     od;
     v = 0;
     /* ---- peterson_lock: while (rc == E_AGAIN) ---- */
     do
     :: rc != E_AGAIN -> break
     :: else ->
#ifdef BUG_SEEN_AFTER_CHECK
        mayEnter();
        seen = ec >> 1;
#else
        seen = ec >> 1;
        mayEnter();
#endif
        if
        :: may -> rc = OK; break
        :: else -> skip
        fi;
        /* ---- ecWait(ec, seen, deadline) ---- */
        do
        :: ecPrepare();
           if
           :: v == 255 -> r = WAITED; break     /* the sequence moved */
           :: else -> skip
           fi;
           park(A_EC, ec, v);
           if
           :: r == TIMED_OUT ->
              atomic { if :: (ec >> 1) == seen -> break :: else -> r = 0 fi }
           :: else ->                           /* expired(deadline) && ecSeq == seen */
              if
              :: atomic { timeouts > 0 && (ec >> 1) == seen -> timeouts--; r = TIMED_OUT; break }
              :: r = 0
              fi
           fi
        od;
        v = 0;
        if
        :: r == TIMED_OUT ->
           mayEnter();
           if
           :: !may ->
              /* peterson_unlock: give up */
              flag[me] = 0;
              ecSignal();
              rc = E_TIMEOUT
           :: else -> skip
           fi
        :: else -> skip
        fi;
        r = 0
     od;
     seen = 0; may = 0;
     if
     :: rc == OK ->
        atomic { incs++; assert(incs == 1) }
        incs--;
        /* ---- peterson_unlock(obj, me) ---- */
        flag[me] = 0;
#ifndef BUG_UNLOCK_NO_SIGNAL
        ecSignal()
#endif
     :: else -> skip
     fi;
     rc = 0;
     iter++
  od
}
