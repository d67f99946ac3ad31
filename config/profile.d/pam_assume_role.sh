# shellcheck shell=sh
# /etc/profile.d/pam_assume_role.sh: AWS credentials of this login in every shell.
#
# pam_assume_role puts the credentials in the login's environment (not for
# a desktop login, see secrets_in_environment) and in
# $PAM_ASSUME_ROLE_DIR/env. This hook (any POSIX sh at start; bash and zsh
# at every prompt):
#  - in a shell of the folder's owner: loads the env file at shell start
#    (shells started later, tmux panes); at each prompt it reads the file's
#    first line (no process is started) and reloads it after
#    'pam-assume-role refresh';
#  - in a root shell of a person's session (sudo -i, su -): reads no file of
#    that person; keeps what PAM exported and, at a prompt, at most once a
#    minute, asks 'pam-assume-role env' (which acts as the person) for a
#    refresh or a renewal;
#  - drops AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE inherited from a
#    desktop login (su without "-", sudo -E): in a root shell unless only
#    root can change the file, in another shell when they name a session
#    folder that is not its user's;
#  - warns once when less than 10 minutes are left and once when expired;
#  - with strategy "session", renews the role credentials from the login's
#    MFA session when less than 5 minutes are left (no new code needed).
# What it reads is data, never code: lines "export NAME='VALUE'" with NAME
# from a fixed list and VALUE checked against that variable's character set
# and length; anything else ends the load with one line. It never sources
# or evals what it reads, and never touches PROMPT_COMMAND entries or precmd
# functions of your own. It works in set -e and set -u shells.

# Set by 'make install' (RUN_DIR, HELPER_PATH); never taken from the environment.
__par_run_dir=/run/pam_assume_role
__par_helper=/usr/local/libexec/pam_assume_role/pam-assume-role
# Seconds between two questions to the helper (root's shells, renewals).
__par_ask_every=60
# Seconds a question to the helper may take at most (the helper's own bound,
# hook_timeout_ms, is at most 3 s).
__par_helper_deadline=5
# A session folder's name: 32 lowercase hex digits (helper/session_dir.h SD_ID_LEN).
__par_id_len=32

__par_nl='
'
__par_mode=
__par_gen=
__par_expires=0
__par_renews=0
__par_asked_at=0
__par_told=
__par_told_gone=
__par_answer=0
__par_warned_soon=
__par_warned_expired=
__par_t=0
__par_d=
__par_f=
__par_n=0
__par_line=
__par_name=
__par_was=
__par_val=
__par_text=
__par_rest=
__par_frac=
__par_y=0 __par_m=0 __par_dd=0 __par_hh=0 __par_mi=0 __par_ss=0

# $1 has between $2 and $3 characters.
__par_length() {
    [ "${#1}" -ge "$2" ] && [ "${#1}" -le "$3" ]
}

# YYYY-MM-DDTHH:MM:SS[.fff]Z, at most 32 characters.
__par_valid_iso() {
    case $1 in
    [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z)
        return 0 ;;
    [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9]*Z)
        ;;
    *) return 1 ;;
    esac
    __par_frac=${1#*.}
    __par_frac=${__par_frac%Z}
    case $__par_frac in *[!0-9]*) return 1 ;; esac
    __par_length "$1" 22 32
}

# Value $2 fits variable $1 (the character sets of common/valid.c).
__par_valid() {
    case $1 in
    AWS_ACCESS_KEY_ID)
        case $2 in *[!A-Z0-9]*) return 1 ;; esac
        __par_length "$2" 16 128 ;;
    AWS_SECRET_ACCESS_KEY)
        case $2 in *[!A-Za-z0-9/+=]*) return 1 ;; esac
        __par_length "$2" 16 128 ;;
    AWS_SESSION_TOKEN)
        case $2 in *[!A-Za-z0-9/+=]*) return 1 ;; esac
        __par_length "$2" 16 4096 ;;
    AWS_REGION | AWS_DEFAULT_REGION)
        case $2 in *[!a-z0-9-]*) return 1 ;; [a-z]*-*[a-z0-9]) ;; *) return 1 ;; esac
        __par_length "$2" 4 32 ;;
    AWS_CREDENTIAL_EXPIRATION)
        __par_valid_iso "$2" ;;
    PAM_ASSUME_ROLE_ENVIRONMENT)
        case $2 in *[!a-z0-9_-]*) return 1 ;; [a-z0-9]*) ;; *) return 1 ;; esac
        __par_length "$2" 1 32 ;;
    PAM_ASSUME_ROLE_DIR)
        # Data never moves the shell to another folder.
        [ "$2" = "${PAM_ASSUME_ROLE_DIR:-}" ] ;;
    *)
        return 1 ;;
    esac
}

# Keeps $2 for variable $1 until the whole answer is checked; a name twice is refused.
__par_stage() {
    case $1 in
    AWS_ACCESS_KEY_ID) [ -z "$__par_s_id" ] && __par_s_id=$2 ;;
    AWS_SECRET_ACCESS_KEY) [ -z "$__par_s_secret" ] && __par_s_secret=$2 ;;
    AWS_SESSION_TOKEN) [ -z "$__par_s_token" ] && __par_s_token=$2 ;;
    AWS_REGION) [ -z "$__par_s_region" ] && __par_s_region=$2 ;;
    AWS_DEFAULT_REGION) [ -z "$__par_s_default_region" ] && __par_s_default_region=$2 ;;
    AWS_CREDENTIAL_EXPIRATION) [ -z "$__par_s_expiration" ] && __par_s_expiration=$2 ;;
    PAM_ASSUME_ROLE_ENVIRONMENT) [ -z "$__par_s_env" ] && __par_s_env=$2 ;;
    PAM_ASSUME_ROLE_DIR) [ -z "$__par_s_dir" ] && __par_s_dir=$2 ;;
    *) return 1 ;;
    esac
}

__par_unstage() {
    __par_s_id=''
    __par_s_secret=''
    __par_s_token=''
    __par_s_region=''
    __par_s_default_region=''
    __par_s_expiration=''
    __par_s_env=''
    __par_s_dir=''
    __par_s_renews=''
    __par_text=''
    __par_rest=''
    __par_line=''
    __par_val=''
    return 0
}

# One line, $__par_line, of an answer of kind $1 ("file": the env file,
# "helper": 'pam-assume-role env').
__par_parse_line() {
    case $__par_line in
    "# pam_assume_role generation "*)
        [ "$1" = file ] && [ "$__par_n" -eq 1 ]
        return ;;
    __par_expires=*)
        # The hook computes the expiry itself, from AWS_CREDENTIAL_EXPIRATION.
        __par_val=${__par_line#*=}
        case $__par_val in '' | *[!0-9]*) return 1 ;; esac
        [ "$1" = file ]
        return ;;
    __par_renews=0 | __par_renews=1)
        [ "$1" = file ] || return 1
        __par_s_renews=${__par_line#*=}
        return 0 ;;
    "export "[A-Z]*=\'*\') ;;
    *) return 1 ;;
    esac
    __par_name=${__par_line#export }
    __par_name=${__par_name%%=*}
    __par_val=${__par_line#*=\'}
    __par_val=${__par_val%\'}
    __par_valid "$__par_name" "$__par_val" && __par_stage "$__par_name" "$__par_val"
}

# Checks answer $1 of kind $2 line by line and stages its values; $3 names
# it. Anything else: one line on stderr, nothing staged.
__par_parse() {
    __par_unstage
    __par_rest=$1
    __par_n=0
    while [ -n "$__par_rest" ]; do
        case $__par_rest in
        *"$__par_nl"*)
            __par_line=${__par_rest%%"$__par_nl"*}
            __par_rest=${__par_rest#*"$__par_nl"} ;;
        *)
            __par_line=$__par_rest
            __par_rest= ;;
        esac
        __par_n=$((__par_n + 1))
        if [ "$__par_n" -gt 16 ] || ! __par_parse_line "$2"; then
            echo "pam_assume_role: line $__par_n of $3 is not a valid AWS setting: nothing loaded; run 'pam-assume-role refresh'" >&2
            __par_unstage
            return 1
        fi
    done
    if [ -z "$__par_s_id" ] || [ -z "$__par_s_secret" ] || [ -z "$__par_s_token" ] ||
        [ -z "$__par_s_expiration" ] || [ -z "$__par_s_env" ]; then
        echo "pam_assume_role: $3 holds no complete AWS credentials: nothing loaded; run 'pam-assume-role refresh'" >&2
        __par_unstage
        return 1
    fi
    return 0
}

# The staged values become the shell's.
__par_commit() {
    AWS_ACCESS_KEY_ID=$__par_s_id; export AWS_ACCESS_KEY_ID
    AWS_SECRET_ACCESS_KEY=$__par_s_secret; export AWS_SECRET_ACCESS_KEY
    AWS_SESSION_TOKEN=$__par_s_token; export AWS_SESSION_TOKEN
    AWS_CREDENTIAL_EXPIRATION=$__par_s_expiration; export AWS_CREDENTIAL_EXPIRATION
    PAM_ASSUME_ROLE_ENVIRONMENT=$__par_s_env; export PAM_ASSUME_ROLE_ENVIRONMENT
    if [ -n "$__par_s_region" ]; then
        AWS_REGION=$__par_s_region; export AWS_REGION
    fi
    if [ -n "$__par_s_default_region" ]; then
        AWS_DEFAULT_REGION=$__par_s_default_region; export AWS_DEFAULT_REGION
    fi
    if [ -n "$__par_s_renews" ]; then
        __par_renews=$__par_s_renews
    fi
    __par_unstage
    __par_expiry
    __par_warned_soon=
    __par_warned_expired=
    return 0
}

# The env file, when it is a plain file of this shell's user, into
# $__par_text (at most 17 lines: more is refused by the parser).
__par_read_env_file() {
    __par_text=
    __par_f=$PAM_ASSUME_ROLE_DIR/env
    [ -f "$__par_f" ] && [ ! -L "$__par_f" ] && [ -O "$__par_f" ] || return 1
    __par_n=0
    while [ "$__par_n" -le 16 ] && { IFS= read -r __par_line || [ -n "$__par_line" ]; }; do
        __par_n=$((__par_n + 1))
        __par_text=$__par_text$__par_line$__par_nl
    done 2>/dev/null <"$__par_f"
    [ -n "$__par_text" ]
}

# The env file, checked, into the shell; its first line is the generation seen.
__par_load_file() {
    __par_read_env_file || return 1
    __par_gen=${__par_text%%"$__par_nl"*}
    __par_parse "$__par_text" file "$PAM_ASSUME_ROLE_DIR/env" && __par_commit
}

# The helper's answer to "$@" into $__par_text, within a deadline: the hook
# runs in front of a prompt. The helper bounds a renewal it makes for the
# hook by hook_timeout_ms (at most 3 s); timeout is the backstop above it.
__par_run_helper() {
    if [ -x /usr/bin/timeout ]; then
        __par_text=$(/usr/bin/timeout -k 1 "$__par_helper_deadline" "$__par_helper" "$@" 2>/dev/null)
    else
        __par_text=$("$__par_helper" "$@" 2>/dev/null)
    fi
}

# The current credentials from the helper (it acts as the session's owner),
# checked as data and staged; $1 "or-default": the session's default
# environment when the shell's own is gone from the session.
# Returns 1: no answer; 2: an answer that is refused.
__par_ask_helper() {
    __par_asked_at=$__par_t
    [ -x "$__par_helper" ] || return 1
    if [ -z "${PAM_ASSUME_ROLE_ENVIRONMENT:-}" ]; then
        __par_run_helper env --from-hook || return 1
    elif [ "${1:-}" = or-default ]; then
        __par_run_helper env --from-hook --or-default "$PAM_ASSUME_ROLE_ENVIRONMENT" || return 1
    else
        __par_run_helper env --from-hook "$PAM_ASSUME_ROLE_ENVIRONMENT" || return 1
    fi
    __par_parse "$__par_text" helper "the answer of 'pam-assume-role env'" || return 2
}

# The time, without a process (bash, zsh); 0 elsewhere.
__par_now() {
    # shellcheck disable=SC3028  # bash and zsh alone run this (EPOCHSECONDS)
    __par_t=${EPOCHSECONDS:-0}
    if [ "$__par_t" = 0 ] && [ -n "${BASH_VERSION:-}" ]; then
        # shellcheck disable=SC3045  # bash alone runs this line
        printf -v __par_t '%(%s)T' -1
    fi
    case $__par_t in '' | *[!0-9]*) __par_t=0 ;; esac
    return 0
}

__par_asked_recently() {
    [ "$__par_asked_at" -gt 0 ] && [ $((__par_t - __par_asked_at)) -lt "$__par_ask_every" ]
}

# Leading zeros off $__par_frac (arithmetic would read 08 as octal).
__par_decimal() {
    while [ "${#__par_frac}" -gt 1 ] && [ "${__par_frac#0}" != "$__par_frac" ]; do
        __par_frac=${__par_frac#0}
    done
    return 0
}

# AWS_CREDENTIAL_EXPIRATION as seconds since 1970 into __par_expires (0 when
# not valid), by parameter expansion and arithmetic only.
__par_expiry() {
    __par_expires=0
    __par_valid_iso "${AWS_CREDENTIAL_EXPIRATION:-}" || return 0
    __par_rest=$AWS_CREDENTIAL_EXPIRATION
    __par_frac=${__par_rest%%-*}; __par_decimal; __par_y=$__par_frac
    __par_rest=${__par_rest#*-}
    __par_frac=${__par_rest%%-*}; __par_decimal; __par_m=$__par_frac
    __par_rest=${__par_rest#*-}
    __par_frac=${__par_rest%%T*}; __par_decimal; __par_dd=$__par_frac
    __par_rest=${__par_rest#*T}
    __par_frac=${__par_rest%%:*}; __par_decimal; __par_hh=$__par_frac
    __par_rest=${__par_rest#*:}
    __par_frac=${__par_rest%%:*}; __par_decimal; __par_mi=$__par_frac
    __par_rest=${__par_rest#*:}
    __par_frac=${__par_rest%%[.Z]*}; __par_decimal; __par_ss=$__par_frac
    __par_rest=
    if [ "$__par_m" -le 2 ]; then
        __par_y=$((__par_y - 1))
    fi
    # Days from 1970-01-01 (proleptic Gregorian, years 0000 and later).
    __par_dd=$(( (__par_y / 400) * 146097 + (__par_y % 400) * 365 + (__par_y % 400) / 4 -
                 (__par_y % 400) / 100 + (153 * ((__par_m + 9) % 12) + 2) / 5 + __par_dd - 1 -
                 719468 ))
    __par_expires=$(( __par_dd * 86400 + __par_hh * 3600 + __par_mi * 60 + __par_ss ))
    return 0
}

# "refreshed", naming the environment (and the one before, when it changed).
__par_say_refreshed() {
    if [ -n "$1" ] && [ "$1" != "$PAM_ASSUME_ROLE_ENVIRONMENT" ]; then
        echo "AWS credentials refreshed: now $PAM_ASSUME_ROLE_ENVIRONMENT (was $1) until $AWS_CREDENTIAL_EXPIRATION" >&2
    else
        echo "AWS credentials refreshed: $PAM_ASSUME_ROLE_ENVIRONMENT until $AWS_CREDENTIAL_EXPIRATION" >&2
    fi
    return 0
}

# The owner's shell: a new first line of the env file is a refresh. A
# folder gone means the login ended (the shell outlived it): said once.
__par_pick_up_file() {
    __par_f=$PAM_ASSUME_ROLE_DIR/env
    if [ ! -d "$PAM_ASSUME_ROLE_DIR" ]; then
        if [ "$__par_told_gone" != "$PAM_ASSUME_ROLE_DIR" ]; then
            __par_told_gone=$PAM_ASSUME_ROLE_DIR
            echo "pam_assume_role: this login has ended: 'pam-assume-role status' offers another live login of yours" >&2
        fi
    elif [ -f "$__par_f" ] && [ ! -L "$__par_f" ] && [ -O "$__par_f" ] &&
        IFS= read -r __par_line 2>/dev/null <"$__par_f" &&
        [ "$__par_line" != "$__par_gen" ]; then
        # Once per generation, loaded or refused.
        __par_gen=$__par_line
        __par_was=${PAM_ASSUME_ROLE_ENVIRONMENT:-}
        if __par_load_file; then
            __par_say_refreshed "$__par_was"
        fi
    fi
    return 0
}

# Strategy "session": new role credentials from the MFA session, at most
# once a minute, when less than 5 minutes are left; the helper bounds the
# renewal by hook_timeout_ms.
__par_renew() {
    if [ "$__par_renews" = 1 ] && [ "$__par_expires" -gt 0 ] &&
        [ $((__par_expires - __par_t)) -lt 300 ] && ! __par_asked_recently &&
        __par_ask_helper; then
        __par_commit
    fi
    return 0
}

# Root in a person's session: the helper's answer, when it holds other
# credentials than this shell's. A refused answer is told once, until a
# good one comes.
__par_ask_for_changes() {
    # shellcheck disable=SC3028  # bash and zsh alone run this (EUID)
    if [ "${EUID:-}" = 0 ] && ! __par_asked_recently; then
        __par_answer=0
        if [ -n "$__par_told" ]; then
            __par_ask_helper or-default 2>/dev/null || __par_answer=$?
        else
            __par_ask_helper or-default || __par_answer=$?
        fi
        if [ "$__par_answer" = 0 ]; then
            __par_told=
            if [ "$__par_s_id" != "${AWS_ACCESS_KEY_ID:-}" ]; then
                __par_was=${PAM_ASSUME_ROLE_ENVIRONMENT:-}
                __par_commit
                __par_say_refreshed "$__par_was"
            elif [ -z "${PAM_ASSUME_ROLE_ENVIRONMENT:-}" ]; then
                # PAM exports no environment name: the first answer gives it.
                PAM_ASSUME_ROLE_ENVIRONMENT=$__par_s_env
                export PAM_ASSUME_ROLE_ENVIRONMENT
            fi
        elif [ "$__par_answer" = 2 ]; then
            __par_told=1
        fi
        __par_unstage
    fi
    return 0
}

__par_warn() {
    if [ "${__par_t:-0}" -le 0 ] || [ "$__par_expires" -le 0 ]; then
        return 0
    fi
    if [ "$__par_expires" -le "$__par_t" ]; then
        if [ -z "$__par_warned_expired" ]; then
            __par_warned_expired=1
            echo "AWS credentials for ${PAM_ASSUME_ROLE_ENVIRONMENT:-this session} have expired: run 'pam-assume-role refresh'" >&2
        fi
    elif [ $((__par_expires - __par_t)) -lt 600 ] && [ -z "$__par_warned_soon" ]; then
        __par_warned_soon=1
        echo "AWS credentials for ${PAM_ASSUME_ROLE_ENVIRONMENT:-this session} expire in $(( (__par_expires - __par_t + 59) / 60 )) min: run 'pam-assume-role refresh'" >&2
    fi
    return 0
}

__par_prompt() {
    __par_now
    case $__par_mode in
    own)
        __par_pick_up_file
        __par_renew ;;
    foreign)
        __par_ask_for_changes ;;
    esac
    __par_warn
    return 0
}

# RUN_DIR/UID/ID, as the module makes it: nothing else is watched.
__par_canonical() {
    case $1 in "$__par_run_dir"/*/*) ;; *) return 1 ;; esac
    __par_rest=${1#"$__par_run_dir"/}
    __par_name=${__par_rest%%/*}
    __par_val=${__par_rest#*/}
    __par_rest=
    case $__par_name in '' | *[!0-9]*) return 1 ;; esac
    case $__par_val in '' | *[!0-9a-f]*) return 1 ;; esac
    [ "${#__par_val}" -eq "$__par_id_len" ]
}

# $1 names a file of a session folder that is not this shell's user's (or
# is gone).
__par_foreign_file() {
    case $1 in "$__par_run_dir"/*) ;; *) return 1 ;; esac
    __par_f=${1%/*}
    ! { [ -d "$__par_f" ] && [ ! -L "$__par_f" ] && [ -O "$__par_f" ]; }
}

# In a root shell: $1 is an absolute path that only root can change, it
# and every folder above it as spelled root's, and no link on the way.
__par_roots_only() {
    case $1 in /*) ;; *) return 1 ;; esac
    __par_f=$1
    while [ -n "$__par_f" ]; do
        [ -O "$__par_f" ] && [ ! -L "$__par_f" ] || return 1
        __par_f=${__par_f%/*}
    done
    return 0
}

# $1 (the value of an AWS file variable) stays in this shell.
__par_keeps_file() {
    [ -z "$1" ] && return 0
    # -O / holds only for root (the owner of /): no process needed to know.
    if [ -O / ]; then
        __par_roots_only "$1"
    else
        ! __par_foreign_file "$1"
    fi
}

# A desktop login names its folder's AWS files in AWS_CONFIG_FILE and
# AWS_SHARED_CREDENTIALS_FILE (secrets_in_environment). Those are the
# person's to write: a shell that inherited them (su without "-", sudo -E)
# would have the AWS CLI read them, and a credential_process line there
# would run as that shell's user. A root shell keeps the two variables only
# for files that root alone can change; any other shell drops them when
# they name a session folder that is not its user's.
__par_drop_foreign_files() {
    if ! __par_keeps_file "${AWS_CONFIG_FILE:-}"; then
        unset AWS_CONFIG_FILE
    fi
    if ! __par_keeps_file "${AWS_SHARED_CREDENTIALS_FILE:-}"; then
        unset AWS_SHARED_CREDENTIALS_FILE
    fi
    return 0
}

# own: the folder and its parent are this shell's user's, not links; foreign:
# someone else's (root in a person's session): no file of theirs is read.
__par_start() {
    __par_drop_foreign_files
    __par_d=${PAM_ASSUME_ROLE_DIR:-}
    [ -n "$__par_d" ] || return 0
    if ! __par_canonical "$__par_d"; then
        echo "pam_assume_role: PAM_ASSUME_ROLE_DIR is not a session folder under $__par_run_dir: AWS credentials are not kept up to date in this shell" >&2
        return 0
    fi
    if [ -d "$__par_d" ] && [ ! -L "$__par_d" ] && [ -O "$__par_d" ] &&
        [ ! -L "${__par_d%/*}" ] && [ -O "${__par_d%/*}" ]; then
        __par_mode=own
        __par_load_file || __par_expiry
    else
        __par_mode=foreign
        __par_expiry
        # A login that keeps the keys out of its environment
        # (secrets_in_environment): root's shell asks the helper at once.
        # -O / holds only for root (the owner of /), in every shell.
        if [ -z "${AWS_ACCESS_KEY_ID:-}" ] && [ -O / ]; then
            __par_now
            if __par_ask_helper or-default; then
                __par_commit
            fi
        fi
    fi
    if [ -n "${ZSH_VERSION:-}" ]; then
        zmodload zsh/datetime 2>/dev/null || :
        # zsh alone runs this constant text.
        eval 'typeset -ga precmd_functions
            case " ${precmd_functions[*]} " in *" __par_prompt "*) ;;
            *) precmd_functions+=(__par_prompt) ;; esac'
    elif [ -n "${BASH_VERSION:-}" ]; then
        # bash alone runs this constant text (PROMPT_COMMAND: a string, or an array in bash 5.1+).
        eval 'case "$(declare -p PROMPT_COMMAND 2>/dev/null)" in
            "declare -a"*)
                case " ${PROMPT_COMMAND[*]} " in *" __par_prompt "*) ;;
                *) PROMPT_COMMAND+=(__par_prompt) ;; esac ;;
            *)
                case ";${PROMPT_COMMAND:-};" in *";__par_prompt;"*) ;;
                *) PROMPT_COMMAND="${PROMPT_COMMAND:+$PROMPT_COMMAND;}__par_prompt" ;; esac ;;
            esac'
    fi
    return 0
}

__par_unstage
__par_start
