# /etc/profile.d/pam_assume_role.sh: AWS credentials of this login in every shell.
#
# pam_assume_role puts the credentials in the login's environment and in
# $PAM_ASSUME_ROLE_DIR/env. This hook (bash, zsh; POSIX sh at start only):
#  - loads the env file at shell start (shells started later, tmux panes);
#  - at each prompt, reads the file's first line (no process is started) and
#    reloads it after 'pam-assume-role refresh';
#  - warns once when less than 10 minutes are left and once when expired;
#  - with strategy "session", renews the role credentials from the login's
#    MFA session when less than 5 minutes are left (no new code needed).
# It never touches PROMPT_COMMAND entries or precmd functions of your own.

__par_load() {
    [ -n "${PAM_ASSUME_ROLE_DIR:-}" ] && [ -f "$PAM_ASSUME_ROLE_DIR/env" ] &&
        [ -r "$PAM_ASSUME_ROLE_DIR/env" ] || return 0
    IFS= read -r __par_gen < "$PAM_ASSUME_ROLE_DIR/env" || return 0
    case "$__par_gen" in "# pam_assume_role generation "*) ;; *) return 0 ;; esac
    . "$PAM_ASSUME_ROLE_DIR/env"
    __par_warned_soon=
    __par_warned_expired=
}

__par_now() {
    if [ -n "${ZSH_VERSION:-}" ]; then
        __par_t=${EPOCHSECONDS:-0}
    elif [ -n "${BASH_VERSION:-}" ]; then
        printf -v __par_t '%(%s)T' -1
    else
        __par_t=0
    fi
}

# AWS_CREDENTIAL_EXPIRATION (YYYY-MM-DDTHH:MM:SSZ) as seconds since 1970, into
# __par_expires, by arithmetic only (no process at a prompt; bash and zsh).
__par_expiry() {
    local x=${AWS_CREDENTIAL_EXPIRATION:-} y m d
    case "$x" in
    [0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]*) ;;
    *) return 1 ;;
    esac
    y=$((10#${x:0:4})) m=$((10#${x:5:2})) d=$((10#${x:8:2}))
    [ "$m" -le 2 ] && y=$((y - 1))
    # Days from 1970-01-01 to y-m-d (proleptic Gregorian, years 0000 and later).
    d=$(( (y / 400) * 146097 + (y % 400) * 365 + (y % 400) / 4 - (y % 400) / 100 +
          (153 * ((m + 9) % 12) + 2) / 5 + d - 1 - 719468 ))
    __par_expires=$(( d * 86400 + 10#${x:11:2} * 3600 + 10#${x:14:2} * 60 + 10#${x:17:2} ))
}

__par_prompt() {
    local __par_line __par_t __par_left
    [ -n "${PAM_ASSUME_ROLE_DIR:-}" ] || return 0
    if [ -f "$PAM_ASSUME_ROLE_DIR/env" ] &&
        IFS= read -r __par_line < "$PAM_ASSUME_ROLE_DIR/env" 2>/dev/null &&
        [ "$__par_line" != "$__par_gen" ]; then
        __par_load
        echo "AWS credentials refreshed: $PAM_ASSUME_ROLE_ENVIRONMENT until $AWS_CREDENTIAL_EXPIRATION" >&2
    fi
    __par_now
    [ "${__par_t:-0}" -gt 0 ] && [ "${__par_expires:-0}" -gt 0 ] || return 0
    __par_left=$((__par_expires - __par_t))
    if [ "${__par_renews:-0}" = 1 ] && [ "$__par_left" -lt 300 ]; then
        # Strategy "session": new role credentials from the MFA session.
        local __par_exports
        if __par_exports=$(pam-assume-role env "${PAM_ASSUME_ROLE_ENVIRONMENT:-}" 2>/dev/null); then
            eval "$__par_exports"
            # The renewed credentials' own expiry (a role session may be short);
            # unreadable: try again in a minute.
            __par_expiry || __par_expires=$((__par_t + 360))
            return 0
        fi
    fi
    if [ "$__par_left" -le 0 ]; then
        [ -n "${__par_warned_expired:-}" ] && return 0
        __par_warned_expired=1
        echo "AWS credentials for ${PAM_ASSUME_ROLE_ENVIRONMENT:-this session} have expired: run 'pam-assume-role refresh'" >&2
    elif [ "$__par_left" -lt 600 ]; then
        [ -n "${__par_warned_soon:-}" ] && return 0
        __par_warned_soon=1
        echo "AWS credentials for ${PAM_ASSUME_ROLE_ENVIRONMENT:-this session} expire in $(( (__par_left + 59) / 60 )) min: run 'pam-assume-role refresh'" >&2
    fi
}

if [ -n "${PAM_ASSUME_ROLE_DIR:-}" ]; then
    __par_load
    if [ -n "${ZSH_VERSION:-}" ]; then
        zmodload zsh/datetime 2>/dev/null
        typeset -ga precmd_functions
        case " ${precmd_functions[*]} " in *" __par_prompt "*) ;; *) precmd_functions+=(__par_prompt) ;; esac
    elif [ -n "${BASH_VERSION:-}" ]; then
        case "$(declare -p PROMPT_COMMAND 2>/dev/null)" in
        "declare -a"*)
            case " ${PROMPT_COMMAND[*]} " in *" __par_prompt "*) ;; *) PROMPT_COMMAND+=(__par_prompt) ;; esac ;;
        *)
            case ";${PROMPT_COMMAND:-};" in *";__par_prompt;"*) ;;
            *) PROMPT_COMMAND="${PROMPT_COMMAND:+$PROMPT_COMMAND;}__par_prompt" ;; esac ;;
        esac
    fi
fi
