// mirrors assembly/barrier.ts: arrive, leave, barrier_wait
//
// Three parties, three processes, two generations each. The 64-bit state (count, gen) is
// two variables that every load / CAS reads or writes together in one step; the futex
// word is gen. At most MAXTIMEOUTS waits time out (a parked timeout, or the deadline
// found expired): the waiter leaves, and on E_TIMEOUT waits again for the same generation
// (the caller's retry), so the barrier must stay usable.
//
// Checks:
//   - a generation is released (the leader's CAS) exactly when all parties have arrived
//     in it and none has left: the count always equals the arrivals still counted
//   - a process returns OK or LEADER only after its generation was released
//   - no deadlock / lost wake-up: every process is bounded, so a process still parked
//     when the others are done is an invalid end state: with timed-out leaves in the mix,
//     both generations complete
//   - witness: a generation that a waiter left on a timeout is released later
//
// run: safety cc=-DSAFETY
// run: leave-witness spin=-DWITNESS_LEAVE cc=-DSAFETY expect=reach
// mutant: BUG_LEAVE_NO_DECREMENT leave withdraws nothing (the count keeps the arrival)
// mutant: BUG_LEAVE_IGNORES_GEN leave decrements even when the generation moved on
// mutant: BUG_LEADER_NO_WAKE the leader releases without a notify
// mutant: BUG_LEADER_EARLY the leader releases when parties - 1 have arrived

#define N 3
#define PARTIES 3
#define ROUNDS 2
#ifndef MAXTIMEOUTS
#define MAXTIMEOUTS 2
#endif

#define A_GEN 1
#define NONE 255

#define WAITED 0
#define NOT_EQUAL 1
#define TIMED_OUT 2

#define OK 0
#define LEADER 1
#define E_AGAIN 2
#define E_TIMEOUT 3

byte gen = 0, cnt = 0;            /* B_STATE: count << 32 | gen */
byte waitq[N];
byte timeouts = MAXTIMEOUTS;
byte arrivedIn[N] = NONE;         /* ghost: the generation each counted arrival is in */
bool leftIn[ROUNDS + 1];          /* ghost: a timed-out waiter withdrew from this generation */

#define COUNTED(g) ((arrivedIn[0] == (g)) + (arrivedIn[1] == (g)) + (arrivedIn[2] == (g)))

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

inline wake_all(A) {
  d_step {
    if :: waitq[0] == A -> waitq[0] = 0 :: else -> skip fi;
    if :: waitq[1] == A -> waitq[1] = 0 :: else -> skip fi;
    if :: waitq[2] == A -> waitq[2] = 0 :: else -> skip fi
  }
}

active [N] proctype P() {
  byte round = 0, sg, sc, g, r, rc;

  do
  :: round == ROUNDS -> break
  :: else ->
     /* ---- arrive(obj) ---- */
     do
     :: atomic { sg = gen; sc = cnt }
#ifdef BUG_LEADER_EARLY
        if
        :: sc + 2 >= PARTIES ->
#else
        if
        :: sc + 1 >= PARTIES ->
#endif
           atomic {
             if
             :: gen == sg && cnt == sc ->
                assert(COUNTED(sg) == PARTIES - 1 && arrivedIn[_pid] == NONE);   /* everyone else is here */
#ifdef WITNESS_LEAVE
                assert(!leftIn[sg]);
#endif
                gen = sg + 1; cnt = 0;
                arrivedIn[0] = NONE; arrivedIn[1] = NONE; arrivedIn[2] = NONE;
                rc = LEADER; break
             :: else -> skip
             fi
           }
        :: else ->
           atomic {
             if
             :: gen == sg && cnt == sc ->
                cnt = sc + 1; arrivedIn[_pid] = sg;
                assert(cnt == COUNTED(sg));
                rc = E_AGAIN; g = sg; break
             :: else -> skip
             fi
           }
        fi
     od;
     if
     :: rc == LEADER ->
#ifndef BUG_LEADER_NO_WAKE
        wake_all(A_GEN)
#else
        skip
#endif
     :: else ->
        /* ---- barrier_wait: while (gen == g) wait ---- */
        do
        :: atomic { gen != g -> rc = OK; break }
        :: atomic { gen == g -> skip }
           park(A_GEN, gen, g);
           if
           :: r == TIMED_OUT -> skip
           :: atomic { r != TIMED_OUT && timeouts > 0 -> timeouts-- }   /* expired(deadline) */
           :: r != TIMED_OUT -> r = 0; goto rewait
           fi;
           r = 0;
           /* ---- leave(obj, g) ---- */
           do
           :: atomic { sg = gen; sc = cnt }
#ifndef BUG_LEAVE_IGNORES_GEN
              if :: sg != g -> rc = OK; break :: else -> skip fi;
#endif
              atomic {
                if
                :: gen == sg && cnt == sc ->
#ifndef BUG_LEAVE_NO_DECREMENT
                   cnt = sc - 1;
#endif
                   arrivedIn[_pid] = NONE; leftIn[gen] = 1;
                   assert(cnt == COUNTED(gen));
                   rc = E_TIMEOUT; break
                :: else -> skip
                fi
              }
           od;
           break;
rewait:
           skip
        od
     fi;
     if
     :: rc == OK || rc == LEADER ->
        assert(gen != g || rc == LEADER);   /* released */
        round++
     :: else -> skip                        /* E_TIMEOUT: wait again */
     fi;
     sg = 0; sc = 0; g = 0; rc = 0
  od
}
