FROM alpine:3.20 AS build
RUN apk add --no-cache build-base linux-headers
WORKDIR /src
COPY Makefile *.c *.h ./
RUN make CFLAGS="-O2 -static -Wall -Wextra" LDFLAGS="-static" && strip tinyhttpd

FROM scratch
COPY --from=build /src/tinyhttpd /tinyhttpd
COPY www/ /www/
EXPOSE 8080
ENTRYPOINT ["/tinyhttpd", "-p", "8080", "-d", "/www"]
