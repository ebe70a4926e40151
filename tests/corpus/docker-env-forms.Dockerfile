FROM alpine:3.20
ENV LEGACY_SINGLE value
ENV LEGACY_SPACES this value has several words
ENV PAIR=one
ENV A=1 B=2 C=3
ENV QUOTED="double quoted value" SINGLE='single $NOT_EXPANDED'
ENV ESCAPED=hello\ world OTHER=\"quoted\"
ENV EMPTY= ALSO_EMPTY=""
ENV WITH_EQ="key=value" URL=https://example.com/?a=1&b=2
ENV MULTI_LINE="first" \
    SECOND_LINE="second" \
    THIRD=third
ENV PATH=/opt/tools/bin:$PATH HOME_DIR=${HOME:-/root}
RUN env | sort
