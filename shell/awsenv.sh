# awsenv shell integration for POSIX sh (dash, ksh, busybox sh). In ~/.profile or $ENV:
#     eval "$(awsenv init sh)"
# `awsenv assume`/`awsenv unset` then act on this shell. POSIX sh has no hook that runs
# before each prompt: use `awsenv status` to see how long the session has left.

export AWSENV_SHELL=sh

awsenv() {
    case "${1-}" in
    assume | unset) ;;
    *)
        command awsenv "$@"
        return
        ;;
    esac
    for _awsenv_arg in "$@"; do
        case "$_awsenv_arg" in
        -h | --help)
            unset _awsenv_arg
            command awsenv "$@"
            return
            ;;
        esac
    done
    unset _awsenv_arg
    _awsenv_code=$(command awsenv "$@" --shell sh)
    _awsenv_ret=$?
    if [ "$_awsenv_ret" -eq 0 ]; then
        eval "$_awsenv_code"
    fi
    unset _awsenv_code
    return "$_awsenv_ret"
}
